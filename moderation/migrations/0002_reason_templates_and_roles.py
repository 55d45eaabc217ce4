"""Default reason templates (the text users are shown, tied to DOMAIN.md's policy clauses) and the
moderation permissions for the staff roles."""

from django.db import migrations

from backoffice.roles import sync_role_permissions

# (code, clause, action, title, Korean text, English text)
TEMPLATES = [
    ("approve-no-violation", "none", "approve", "No violation found",
     "검토 결과 운영 정책 위반이 확인되지 않아 공고가 정상 게시됩니다.",
     "We reviewed this posting and found no policy violation; it is published."),
    ("dismiss-unfounded", "none", "dismiss", "Reports unfounded",
     "접수된 신고를 검토했으나 운영 정책 위반이 확인되지 않았습니다.",
     "We reviewed the reports and found no policy violation."),
    ("remove-false-ad", "P1-false-ad", "remove", "False or disguised recruitment",
     "채용을 가장한 판매·모집·부업 알선 등 거짓 구인광고로 판단되어 공고가 게시 중단되었습니다 (직업안정법 제34조).",
     "This posting was taken down as a false or disguised job advertisement (Employment Security Act, Art. 34)."),
    ("remove-min-wage", "P2-min-wage", "remove", "Pay below the minimum wage",
     "제시된 임금이 해당 연도 최저임금에 미달하여 공고가 게시 중단되었습니다. 임금을 수정한 뒤 다시 등록해 주세요 (최저임금법).",
     "The pay offered is below the legal minimum wage for the year; correct it and post again (Minimum Wage Act)."),
    ("remove-discrimination", "P3-discrimination", "remove", "Discriminatory requirements",
     "나이·성별·외모·혼인 여부 등 직무와 무관한 조건은 채용 공고에 쓸 수 없어 게시 중단되었습니다 (고령자고용법, 남녀고용평등법, 채용절차법).",
     "Requirements unrelated to the job (age, gender, appearance, marital status) are not allowed in postings."),
    ("remove-off-platform", "P4-off-platform", "remove", "Contact details or personal data requests",
     "공고 본문에 연락처·메신저 아이디를 기재하거나 신분증·통장 사본을 요구할 수 없어 게시 중단되었습니다.",
     "Postings may not contain phone numbers or messenger IDs, or ask for ID cards or bank books."),
    ("remove-crime-recruitment", "P5-crime-recruitment", "remove", "Recruiting for crime (money mules)",
     "현금 수거·송금 대행·계좌 대여 등 보이스피싱 범죄에 악용되는 모집으로 판단되어 공고가 삭제되었습니다.",
     "This posting recruits for cash collection, remittance or account lending used in voice phishing; it was removed."),
    ("remove-fees", "P6-fees", "remove", "Charging applicants",
     "구직자에게 교육비·등록비·보증금 등 금품을 요구할 수 없어 공고가 게시 중단되었습니다 (직업안정법 제32조).",
     "Postings may not charge applicants registration, training or deposit fees (Employment Security Act, Art. 32)."),
    ("remove-duplicate-spam", "P7-duplicate-spam", "remove", "Duplicates and spam",
     "같은 내용의 공고를 반복 등록하여 중복 공고가 게시 중단되었습니다.",
     "This posting repeats one already published and was taken down as a duplicate."),
    ("remove-harmful-business", "P8-harmful-business", "remove", "Harmful businesses",
     "청소년 유해업소 등 플랫폼에서 허용하지 않는 업종의 공고로 게시 중단되었습니다.",
     "Postings for businesses closed to the platform (adult entertainment) are not allowed."),
    ("sanction-false-ad", "P1-false-ad", "sanction", "Repeated false advertising",
     "거짓 구인광고가 확인되어 공고가 중단되고 계정에 제재가 적용되었습니다.",
     "A false job advertisement was confirmed; the posting is down and the account is sanctioned."),
    ("sanction-crime-recruitment", "P5-crime-recruitment", "sanction", "Crime recruitment",
     "범죄 연루가 우려되는 모집이 확인되어 공고가 삭제되고 계정에 제재가 적용되었습니다.",
     "Recruitment linked to crime was confirmed; the posting is removed and the account is sanctioned."),
    ("sanction-repeat-violation", "P7-duplicate-spam", "sanction", "Repeated policy violations",
     "운영 정책 위반이 반복되어 계정에 제재가 적용되었습니다.",
     "Repeated policy violations: the account is sanctioned."),
    ("sanction-discrimination", "P3-discrimination", "sanction", "Repeated discriminatory postings",
     "차별적 채용 조건이 반복되어 계정에 제재가 적용되었습니다.",
     "Discriminatory requirements were posted again: the account is sanctioned."),
]


def seed_templates(apps, schema_editor):
    ReasonTemplate = apps.get_model("moderation", "ReasonTemplate")
    for code, clause, action, title, text_ko, text_en in TEMPLATES:
        ReasonTemplate.objects.update_or_create(
            code=code,
            defaults={"clause": clause, "action": action, "title": title, "text_ko": text_ko, "text_en": text_en},
        )


def unseed_templates(apps, schema_editor):
    apps.get_model("moderation", "ReasonTemplate").objects.filter(code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("backoffice", "0005_outboxevent"),
    ]
    operations = [
        migrations.RunPython(seed_templates, unseed_templates),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
