"""Demo moderation activity on top of the jobs demo data: user reports that fill the review queue, and a
history of decided cases (with sanctions) so the case page has something to show.

Unlike the jobs generator this goes through the real services: a few hundred reports and decisions take
seconds, and the demo then shows exactly what production would (scores, bands, timelines, audit rows).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q

from backoffice.actions import one
from backoffice.audit import Actor
from jobs.models import Employer, JobPosting, PostingStatus, Seeker
from moderation.actions import claims, decisions, intake
from moderation.models import Case, CaseEvent, CaseStatus, Decision, ReasonTemplate, Report, ReportReason, RuleHit

# Phrases that mark the jobs demo's rule-breaking postings, and what a user would report them for.
SUSPICIOUS_MARKERS: tuple[tuple[str, str], ...] = (
    ("현금 수거", ReportReason.SCAM),
    ("당일 지급", ReportReason.SCAM),
    ("교육비", ReportReason.SCAM),
    ("카톡", ReportReason.SCAM),
    ("010", ReportReason.SPAM),
    ("공일공", ReportReason.SPAM),
    ("~35세", ReportReason.DISCRIMINATION),
    ("30대까지", ReportReason.DISCRIMINATION),
    ("여성만", ReportReason.DISCRIMINATION),
    ("미혼", ReportReason.DISCRIMINATION),
    ("용모", ReportReason.DISCRIMINATION),
)
REPORT_TEXTS: dict[str, tuple[str, ...]] = {
    ReportReason.SCAM: ("사기 같아요. 돈을 먼저 보내라고 합니다.", "보이스피싱 같아요", "고수익 미끼 같습니다", ""),
    ReportReason.SPAM: ("연락처가 본문에 있어요", "같은 공고가 계속 올라옵니다", ""),
    ReportReason.DISCRIMINATION: ("나이 제한이 있어요", "성별을 제한합니다", ""),
    ReportReason.ILLEGAL_WAGE: ("시급이 최저임금보다 낮아요", "월급이 너무 적어요", ""),
    ReportReason.DUPLICATE: ("똑같은 공고가 여러 개입니다", ""),
    ReportReason.INAPPROPRIATE: ("업종이 이상합니다", ""),
    ReportReason.OTHER: ("마감된 공고인데 계속 보여요", ""),
}


@dataclass(frozen=True)
class ModerationDemoCounts:
    reports: int
    open_cases: int
    decided_cases: int


def _reason_for(posting: JobPosting, rng: random.Random) -> str:
    text = f"{posting.title} {posting.description}"
    for marker, reason in SUSPICIOUS_MARKERS:
        if marker in text:
            return reason
    return rng.choice(
        [ReportReason.ILLEGAL_WAGE, ReportReason.DUPLICATE, ReportReason.OTHER, ReportReason.INAPPROPRIATE]
    )


def generate_moderation_demo(
    *, seed: int, moderator: AbstractBaseUser | None, reports: int = 300, decided_share: float = 0.3
) -> ModerationDemoCounts:
    rng = random.Random(seed)
    marker_filter = Q()
    for marker, _reason in SUSPICIOUS_MARKERS[:6]:
        marker_filter |= Q(description__contains=marker) | Q(title__contains=marker)
    live = JobPosting.objects.filter(status__in=[PostingStatus.PUBLISHED, PostingStatus.PENDING_REVIEW]).order_by("id")
    suspicious = list(live.filter(marker_filter).values_list("id", flat=True)[: reports // 2])
    ordinary = list(live.exclude(id__in=suspicious).values_list("id", flat=True)[: reports * 4])
    # Suspicious postings first (several reporters each), then ordinary ones until the report budget is spent.
    targets = suspicious + rng.sample(ordinary, min(len(ordinary), reports))
    seekers = list(Seeker.objects.order_by("id").values_list("external_id", flat=True)[:2000])
    employers = list(Employer.objects.order_by("id")[:200])
    if not targets or not seekers:
        return ModerationDemoCounts(0, 0, 0)
    postings = {p.pk: p for p in JobPosting.objects.filter(pk__in=targets).select_related("employer")}
    actor = Actor.marketplace("demo")
    filed = 0
    report_number = 0
    for posting_id in targets:
        posting = postings[posting_id]
        reason = _reason_for(posting, rng)
        # Suspicious postings draw several reporters; ordinary ones one (someone always reports something).
        count = rng.choice([2, 3, 3, 4, 6]) if posting_id in suspicious else 1
        for reporter in rng.sample(seekers, min(count, len(seekers))):
            report_number += 1
            one(
                intake.reports_file(
                    [
                        intake.ReportFiling(
                            actor=actor,
                            external_id=f"demo-r-{report_number:06d}",
                            reporter_kind="seeker",
                            reporter_external_id=reporter,
                            target=posting,
                            reason=reason,
                            text=rng.choice(REPORT_TEXTS[reason]),
                        )
                    ]
                )
            )
            filed += 1
            if filed >= reports:
                break
        if filed >= reports:
            break
    for employer in rng.sample(employers, min(5, len(employers))):
        report_number += 1
        one(
            intake.reports_file(
                [
                    intake.ReportFiling(
                        actor=actor,
                        external_id=f"demo-r-{report_number:06d}",
                        reporter_kind="seeker",
                        reporter_external_id=rng.choice(seekers),
                        target=employer,
                        reason=ReportReason.SCAM,
                        text="면접 보러 갔더니 판매 교육을 받으라고 합니다.",
                    )
                ]
            )
        )
        filed += 1

    decided = 0
    if moderator is not None:
        templates = {t.code: t for t in ReasonTemplate.objects.filter(active=True)}
        open_cases = list(Case.objects.filter(status=CaseStatus.OPEN, target_kind="posting").order_by("id"))
        for case in rng.sample(open_cases, int(len(open_cases) * decided_share)):
            remove = case.primary_reason in (ReportReason.SCAM, ReportReason.DISCRIMINATION, ReportReason.SPAM)
            # Claim first, as a moderator does: the claim is where the handling time on the reports starts.
            case = claims.case_claim(user=moderator, case=case)
            request = decisions.DecisionRequest(
                action="remove" if remove else "approve",
                expected_version=case.version,
                reason_template=templates["remove-false-ad" if remove else "approve-no-violation"],
                note="데모 처리",
            )
            decisions.case_decide(user=moderator, case=case, request=request, draw=1.0)
            decided += 1
        spread_over_past_days(rng=rng, days=HISTORY_DAYS)
    open_count = Case.objects.exclude(status=CaseStatus.RESOLVED).count()
    return ModerationDemoCounts(reports=filed, open_cases=open_count, decided_cases=decided)


HISTORY_DAYS = 28


def spread_over_past_days(*, rng: random.Random, days: int) -> None:
    """Move the demo's decided cases back over the last ``days`` days (and the open ones back a few hours), so
    the report pages show weeks of history instead of one busy minute.

    The services stamp everything "now"; each case's rows are shifted by one offset, so every duration inside a
    case (report → opening → claim → decision) is kept; claims get a realistic few minutes before the decision.
    Demo data only: this is not a workflow, it rewrites timestamps directly."""
    for case in Case.objects.all().only("pk", "status", "band"):
        if case.status == CaseStatus.RESOLVED:
            # More recent days are busier; the decision took minutes to a day and a half after the opening.
            offset = dt.timedelta(days=int(days * rng.random() ** 1.4), hours=rng.uniform(0, 20))
            decided_after = dt.timedelta(minutes=rng.choice([12, 40, 90, 240, 600, 1500, 2200]) * rng.uniform(0.5, 1.5))
        else:
            offset = dt.timedelta(hours=rng.uniform(0, 30))
            decided_after = dt.timedelta(0)
        shift = F("opened_at") - offset
        Case.objects.filter(pk=case.pk).update(opened_at=shift, due_at=F("due_at") - offset)
        later = offset - decided_after  # decisions happen ``decided_after`` past the (shifted) opening
        Case.objects.filter(pk=case.pk, resolved_at__isnull=False).update(resolved_at=F("resolved_at") - later)
        Report.objects.filter(case=case).update(filed_at=F("filed_at") - offset)
        Report.objects.filter(case=case, resolved_at__isnull=False).update(resolved_at=F("resolved_at") - later)
        RuleHit.objects.filter(case=case).update(created_at=F("created_at") - offset)
        Decision.objects.filter(case=case, moderator__isnull=True).update(created_at=F("created_at") - offset)
        Decision.objects.filter(case=case, moderator__isnull=False).update(created_at=F("created_at") - later)
        claim_minutes = dt.timedelta(minutes=rng.uniform(2, 25))
        for event in CaseEvent.objects.filter(case=case).only("pk", "kind"):
            if event.kind == "claimed":
                moved = F("created_at") - later - claim_minutes
            elif event.kind in ("decided", "resolved"):
                moved = F("created_at") - later
            else:
                moved = F("created_at") - offset
            CaseEvent.objects.filter(pk=event.pk).update(created_at=moved)


def delete_moderation_demo() -> dict[str, int]:
    """Remove all moderation activity (for ``seed_demo --reset`` on a demo database): children first, since
    every link is PROTECT. The audit log keeps its rows: it is append-only, demo or not."""
    from moderation.models import Appeal, CaseEvent, Decision, Report, ReporterStats, RuleHit, Sanction, SecondReview

    deleted: dict[str, int] = {}
    for model in (SecondReview, Appeal, Sanction, RuleHit, Report, CaseEvent, Decision, Case, ReporterStats):
        count, _ = model.objects.all().delete()
        deleted[model._meta.model_name] = count
    return deleted
