"""Default screening rules, one or more per policy clause of DOMAIN.md.

Modes: money-mule recruitment (P5) hides the posting at once (auto_hide: the harm is immediate and the
phrases are unambiguous); the established rules flag for review; the experimental ones (posting velocity,
the high-daily-pay pattern) run in dry_run — enabled, so they record hits on live traffic without opening
cases, which is how their precision is measured before anyone switches them to flag.

The rows are plain literals (not imported from moderation.rules) so this migration means the same thing
forever. Staff edit the rules in the admin afterwards; re-running ``seed`` never overwrites their edits.
"""

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "P5 자금 전달·대포통장 모집 (자동 숨김)",
        "kind": "keywords",
        "clause": "P5-crime-recruitment",
        "weight": 60,
        "mode": "auto_hide",
        "enabled": True,
        "config": {
            "phrases": [
                "현금 수거",
                "현금 수금",
                "수금 대행",
                "해외 송금 대행",
                "송금 대행",
                "환전 알바",
                "통장 대여",
                "계좌 대여",
                "체크카드 전달",
                "카드 전달 알바",
                "대포통장",
                "합법은 아니지만",
            ]
        },
    },
    {
        "name": "P5 고수익 미끼 문구",
        "kind": "keywords",
        "clause": "P5-crime-recruitment",
        "weight": 35,
        "mode": "flag",
        "enabled": True,
        # "채권 회수" alone is also a licensed collection agency's job title: flagged for a person, not hidden.
        "config": {"phrases": ["고액 알바", "당일 지급 고수익", "고수익 보장", "채권 회수"]},
    },
    {
        "name": "P5 고액 일당 패턴 (실험)",
        "kind": "regex",
        "clause": "P5-crime-recruitment",
        "weight": 20,
        "mode": "dry_run",
        "enabled": True,
        # Not 일급: IT freelancers' day rates of 30만원+ are ordinary (measured on the demo data).
        "config": {"pattern": r"(?:일당|하루|당일)\s*(?:[3-9]\d\s*만|[3-9]\d{2},?\d{3})\s*원"},
    },
    {
        "name": "P1 거짓·위장 구인 문구",
        "kind": "keywords",
        "clause": "P1-false-ad",
        "weight": 30,
        "mode": "flag",
        "enabled": True,
        "config": {
            "phrases": [
                "재택 부업 알선",
                "부업 알선",
                "다단계",
                "교육 수료 후 채용",
                "수료 후 채용",
                "네트워크 마케팅",
                "수강료",
            ],
            "exclude": ["수강료 지원", "수강료 전액", "수강료 무료", "수강료 없", "수강료 회사"],
        },
    },
    {
        "name": "P6 구직자에게 비용 청구",
        "kind": "keywords",
        "clause": "P6-fees",
        "weight": 35,
        "mode": "flag",
        "enabled": True,
        "config": {
            "phrases": ["교육비", "등록비", "보증금", "유니폼 비용 선입금", "선입금", "가입비", "입회비"],
            # Benefits and explicit "no fee" statements are not fees.
            "exclude": [
                "교육비 지원",
                "교육비 무료",
                "교육비 없",
                "교육비 전액",
                "교육비 회사",
                "교육비는 회사",
                "등록비 없",
                "등록비 무료",
                "보증금 없",
                "보증금 무",
                "가입비 없",
                "가입비 무료",
                "선입금 없",
            ],
        },
    },
    {
        "name": "P8 유해업소 (청소년·플랫폼 금지 업종)",
        "kind": "keywords",
        "clause": "P8-harmful-business",
        "weight": 40,
        "mode": "flag",
        "enabled": True,
        # Not "룸" or "도우미" alone: 스터디룸, 주방 도우미 and 산후 도우미 are ordinary jobs.
        "config": {
            "phrases": [
                "유흥주점",
                "단란주점",
                "노래주점",
                "룸살롱",
                "룸 도우미",
                "노래방 도우미",
                "보도방",
                "유흥업소",
                "텐프로",
            ]
        },
    },
    {
        "name": "P4 연락처 기재 (전화·메신저·이메일·링크)",
        "kind": "contact",
        "clause": "P4-off-platform",
        "weight": 30,
        "mode": "flag",
        "enabled": True,
        "config": {"phones": True, "emails": True, "messengers": True, "links": True},
    },
    {
        "name": "P4 채용 전 신분증·통장 요구",
        "kind": "keywords",
        "clause": "P4-off-platform",
        "weight": 30,
        "mode": "flag",
        "enabled": True,
        "config": {
            "phrases": [
                "신분증 사본",
                "통장 사본",
                "주민등록증 사본",
                "신분증 사진",
                "통장 사진",
                "체크카드 사진",
                "통장 비밀번호",
                "카드 비밀번호",
                "공인인증서",
            ],
            # Payroll paperwork after hiring is normal ("입사 시 통장 사본 제출").
            "exclude": ["입사 시", "입사 후", "채용 후", "채용 확정", "합격 후", "합격자", "근로계약", "계약 시"],
            "exclude_window": 15,
        },
    },
    {
        "name": "P3 차별적 채용 조건 (나이·성별·외모·혼인)",
        "kind": "discrimination",
        "clause": "P3-discrimination",
        "weight": 25,
        "mode": "flag",
        "enabled": True,
        "config": {"categories": ["age", "gender", "appearance", "marital", "origin"], "age_limit_below": 60},
    },
    {
        "name": "P2 최저임금 미달",
        "kind": "min_wage",
        "clause": "P2-min-wage",
        "weight": 30,
        "mode": "flag",
        "enabled": True,
        "config": {"tolerance": 0},
    },
    {
        "name": "P7 같은 고용주의 최근 공고와 중복 (7일)",
        "kind": "duplicate",
        "clause": "P7-duplicate-spam",
        "weight": 15,
        "mode": "flag",
        "enabled": True,
        "config": {"days": 7, "threshold": 0.8, "max_compare": 50},
    },
    {
        "name": "P7 게시 속도 (시간당 10건·하루 40건 초과, 실험)",
        "kind": "velocity",
        "clause": "P7-duplicate-spam",
        "weight": 15,
        "mode": "dry_run",
        "enabled": True,
        # Chains post 20+ a day honestly (measured on the demo data); spam runs post dozens an hour.
        "config": {"max_per_hour": 10, "max_per_day": 40},
    },
]


def seed(apps, schema_editor):
    """Create the default rules that do not exist yet (by name); existing rows, maybe edited, are kept."""
    Rule = apps.get_model("moderation", "Rule")
    for row in DEFAULT_RULES:
        values = {key: value for key, value in row.items() if key != "name"}
        Rule.objects.get_or_create(name=row["name"], defaults=values)


def unseed(apps, schema_editor):
    # Rules with hits stay: hits reference their rule (PROTECT), and the history must remain explainable.
    Rule = apps.get_model("moderation", "Rule")
    Rule.objects.filter(name__in=[row["name"] for row in DEFAULT_RULES], hits__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0004_timeline_labels")]

    operations = [migrations.RunPython(seed, unseed)]
