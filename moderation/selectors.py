"""Reads for moderation: the queue, one case with everything needed to decide it, and scoring signals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from backoffice.models import AuditLog
from jobs.models import Employer, JobPosting, PostingStatus, Seeker
from moderation.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    ReasonTemplate,
    Report,
    ReporterStats,
    RuleHit,
    Sanction,
    TargetKind,
)
from moderation.policies import CaseSignals, ReportSignal

BACKLOG_CACHE_KEY = "moderation:backlog"
UPHELD_ACTIONS = (DecisionAction.REMOVE, DecisionAction.SANCTION)


def queue() -> QuerySet[Case]:
    """Unresolved cases, most urgent band first, then oldest: the order moderators work in."""
    return (
        Case.objects.exclude(status=CaseStatus.RESOLVED)
        .select_related("posting__employer", "employer", "seeker", "claimed_by")
        .order_by("-band", "opened_at", "id")
    )


def backlog_count() -> int:
    """Unresolved cases, cached for a few seconds: it is shown on every admin page."""
    count = cache.get(BACKLOG_CACHE_KEY)
    if count is None:
        count = Case.objects.exclude(status=CaseStatus.RESOLVED).count()
        cache.set(BACKLOG_CACHE_KEY, count, timeout=15)
    return int(count)


def forget_backlog_count() -> None:
    cache.delete(BACKLOG_CACHE_KEY)


def next_case_for(*, user: AbstractBaseUser, after: Case | None = None) -> Case | None:
    """The next case this moderator can work on: unclaimed (or claimed by them, or with a lapsed claim)."""
    now = timezone.now()
    candidates = (
        queue()
        .filter(Q(claimed_by__isnull=True) | Q(claimed_by=user) | Q(claim_expires_at__lte=now))
        .exclude(excluded_moderator=user)
    )
    if not user.has_perm("moderation.handle_escalated_case"):
        candidates = candidates.exclude(status=CaseStatus.ESCALATED)
    if after is not None:
        candidates = candidates.filter(
            Q(band__lt=after.band)
            | Q(band=after.band, opened_at__gt=after.opened_at)
            | Q(band=after.band, opened_at=after.opened_at, id__gt=after.id)
        )
    return candidates.first()


def reason_templates(*, action: str | None = None) -> QuerySet[ReasonTemplate]:
    templates = ReasonTemplate.objects.filter(active=True)
    return templates.filter(action=action) if action else templates


def employer_of(case: Case) -> Employer | None:
    if case.target_kind == TargetKind.POSTING and case.posting is not None:
        return case.posting.employer
    if case.target_kind == TargetKind.EMPLOYER:
        return case.employer
    return None


def prior_violations(
    *, employer: Employer | None = None, seeker: Seeker | None = None, exclude_case: int | None = None
) -> int:
    """Resolved cases against this author that ended in removal or sanction."""
    if employer is not None:
        scope = Q(posting__employer=employer) | Q(employer=employer)
    elif seeker is not None:
        scope = Q(seeker=seeker)
    else:
        return 0
    cases = Case.objects.filter(scope, status=CaseStatus.RESOLVED, last_decision_action__in=UPHELD_ACTIONS)
    if exclude_case is not None:
        cases = cases.exclude(pk=exclude_case)
    return cases.count()


def active_sanctions(*, employer: Employer | None = None, seeker: Seeker | None = None) -> QuerySet[Sanction]:
    now = timezone.now()
    sanctions = Sanction.objects.filter(revoked_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))
    if employer is not None:
        return sanctions.filter(employer=employer)
    if seeker is not None:
        return sanctions.filter(seeker=seeker)
    return sanctions.none()


def strike_count(*, employer: Employer | None = None, seeker: Seeker | None = None) -> int:
    """Sanctions not revoked (expired ones still count as strikes: repeat violations escalate)."""
    sanctions = Sanction.objects.filter(revoked_at__isnull=True)
    if employer is not None:
        return sanctions.filter(employer=employer).count()
    if seeker is not None:
        return sanctions.filter(seeker=seeker).count()
    return 0


def case_signals(case: Case) -> CaseSignals:
    """Everything ``policies.score_case`` needs, in a fixed handful of queries."""
    hit_weights = tuple(RuleHit.objects.filter(case=case).values_list("weight", flat=True))
    reports = list(Report.objects.filter(case=case).values_list("reporter_kind", "reporter_external_id", "reason"))
    stats = {
        (s.reporter_kind, s.reporter_external_id): s
        for s in ReporterStats.objects.filter(reporter_external_id__in={r[1] for r in reports})
    }
    report_signals = tuple(
        ReportSignal(
            reporter_key=f"{kind}:{reporter}",
            reason=reason,
            upheld=getattr(stats.get((kind, reporter)), "reports_upheld", 0),
            dismissed=getattr(stats.get((kind, reporter)), "reports_dismissed", 0),
        )
        for kind, reporter, reason in reports
    )
    applications = 0
    starts_soon = False
    if case.target_kind == TargetKind.POSTING and case.posting is not None:
        applications = case.posting.application_count
        if case.posting.starts_on is not None:
            today = timezone.localdate()
            starts_soon = today <= case.posting.starts_on <= today + dt.timedelta(days=1)
    employer = employer_of(case)
    seeker = case.seeker if case.target_kind == TargetKind.SEEKER else None
    return CaseSignals(
        hit_weights=hit_weights,
        reports=report_signals,
        applications=applications,
        starts_within_24h=starts_soon,
        prior_violations=prior_violations(employer=employer, seeker=seeker, exclude_case=case.pk),
        active_sanction=active_sanctions(employer=employer, seeker=seeker).exists(),
        is_appeal=case.is_appeal,
    )


def case_signals_many(cases: Sequence[Case]) -> dict[int, CaseSignals]:
    """``case_signals`` for many saved cases in a fixed handful of queries (the ingestion batches).

    The cases must come with their posting loaded (``select_related("posting")``) when they target one."""
    if not cases:
        return {}
    ids = [case.pk for case in cases]
    weights: dict[int, list[int]] = defaultdict(list)
    for case_id, weight in RuleHit.objects.filter(case_id__in=ids).values_list("case_id", "weight"):
        weights[case_id].append(weight)
    reports: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    rows = Report.objects.filter(case_id__in=ids).values_list(
        "case_id", "reporter_kind", "reporter_external_id", "reason"
    )
    for case_id, kind, reporter, reason in rows:
        reports[case_id].append((kind, reporter, reason))
    reporters = {reporter for case_reports in reports.values() for _k, reporter, _r in case_reports}
    stats = {
        (s.reporter_kind, s.reporter_external_id): s
        for s in ReporterStats.objects.filter(reporter_external_id__in=reporters)
    }

    def employer_id(case: Case) -> int | None:
        if case.target_kind == TargetKind.POSTING and case.posting is not None:
            return case.posting.employer_id
        return case.employer_id if case.target_kind == TargetKind.EMPLOYER else None

    employer_ids = {e for case in cases if (e := employer_id(case)) is not None}
    seeker_ids = {case.seeker_id for case in cases if case.target_kind == TargetKind.SEEKER and case.seeker_id}
    violations: dict[tuple[str, int], set[int]] = defaultdict(set)  # (kind, id) → resolved upheld case ids
    if employer_ids or seeker_ids:
        resolved = Case.objects.filter(status=CaseStatus.RESOLVED, last_decision_action__in=UPHELD_ACTIONS).filter(
            Q(posting__employer_id__in=employer_ids) | Q(employer_id__in=employer_ids) | Q(seeker_id__in=seeker_ids)
        )
        for case_id, posting_employer, employer, seeker in resolved.values_list(
            "pk", "posting__employer_id", "employer_id", "seeker_id"
        ):
            for owner in (posting_employer, employer):
                if owner in employer_ids:
                    violations[("employer", owner)].add(case_id)
            if seeker in seeker_ids:
                violations[("seeker", seeker)].add(case_id)
    sanctioned: set[tuple[str, int]] = set()
    if employer_ids or seeker_ids:
        now = timezone.now()
        active = (
            Sanction.objects.filter(revoked_at__isnull=True)
            .filter(Q(until__isnull=True) | Q(until__gt=now))
            .filter(Q(employer_id__in=employer_ids) | Q(seeker_id__in=seeker_ids))
        )
        for employer, seeker in active.values_list("employer_id", "seeker_id"):
            if employer in employer_ids:
                sanctioned.add(("employer", employer))
            if seeker in seeker_ids:
                sanctioned.add(("seeker", seeker))

    today = timezone.localdate()
    signals: dict[int, CaseSignals] = {}
    for case in cases:
        applications, starts_soon = 0, False
        if case.target_kind == TargetKind.POSTING and case.posting is not None:
            applications = case.posting.application_count
            starts_on = case.posting.starts_on
            starts_soon = starts_on is not None and today <= starts_on <= today + dt.timedelta(days=1)
        owner: tuple[str, int] | None = None
        if (e := employer_id(case)) is not None:
            owner = ("employer", e)
        elif case.target_kind == TargetKind.SEEKER and case.seeker_id:
            owner = ("seeker", case.seeker_id)
        signals[case.pk] = CaseSignals(
            hit_weights=tuple(weights[case.pk]),
            reports=tuple(
                ReportSignal(
                    reporter_key=f"{kind}:{reporter}",
                    reason=reason,
                    upheld=getattr(stats.get((kind, reporter)), "reports_upheld", 0),
                    dismissed=getattr(stats.get((kind, reporter)), "reports_dismissed", 0),
                )
                for kind, reporter, reason in reports[case.pk]
            ),
            applications=applications,
            starts_within_24h=starts_soon,
            prior_violations=len(violations[owner] - {case.pk}) if owner else 0,
            active_sanction=owner in sanctioned if owner else False,
            is_appeal=case.is_appeal,
        )
    return signals


@dataclass(frozen=True)
class CaseDetail:
    """What the case page shows, loaded in a constant number of queries whatever the history size."""

    case: Case
    reports: list[Report]
    hits: list[RuleHit]
    decisions: list[Decision]
    events: list[CaseEvent]
    past_cases: list[Case]
    sanctions: list[Sanction]
    live_postings: list[JobPosting]
    near_duplicates: list[JobPosting]
    templates: list[ReasonTemplate]
    audit_entries: list[AuditLog]


HISTORY_LIMIT = 10
AUDIT_LIMIT = 30


def case_detail(case: Case) -> CaseDetail:
    employer = employer_of(case)
    seeker = case.seeker if case.target_kind == TargetKind.SEEKER else None
    past_cases: list[Case] = []
    sanctions: list[Sanction] = []
    live_postings: list[JobPosting] = []
    near_duplicates: list[JobPosting] = []
    if employer is not None:
        past_cases = list(
            Case.objects.filter(Q(posting__employer=employer) | Q(employer=employer))
            .exclude(pk=case.pk)
            .select_related("posting")
            .order_by("-opened_at")[:HISTORY_LIMIT]
        )
        sanctions = list(Sanction.objects.filter(employer=employer).order_by("-created_at")[:HISTORY_LIMIT])
        live_postings = list(
            JobPosting.objects.filter(employer=employer, status=PostingStatus.PUBLISHED)
            .exclude(pk=case.posting_id)
            .order_by("-created_at")[:HISTORY_LIMIT]
        )
    elif seeker is not None:
        past_cases = list(Case.objects.filter(seeker=seeker).exclude(pk=case.pk).order_by("-opened_at")[:HISTORY_LIMIT])
        sanctions = list(Sanction.objects.filter(seeker=seeker).order_by("-created_at")[:HISTORY_LIMIT])
    if case.target_kind == TargetKind.POSTING and case.posting is not None:
        # Exact re-posts share the content fingerprint; near-duplicates found by the rules arrive as hits.
        near_duplicates = list(
            JobPosting.objects.filter(content_fingerprint=case.posting.content_fingerprint)
            .exclude(pk=case.posting_id)
            .select_related("employer")
            .order_by("-created_at")[:HISTORY_LIMIT]
        )
    return CaseDetail(
        case=case,
        reports=list(case.reports.order_by("filed_at")),
        hits=list(case.hits.select_related("rule").order_by("-weight", "created_at")),
        decisions=list(
            case.decisions.select_related("moderator", "reason_template", "undone_by").order_by("created_at")
        ),
        events=list(case.events.select_related("actor").order_by("created_at", "id")),
        past_cases=past_cases,
        sanctions=sanctions,
        live_postings=live_postings,
        near_duplicates=near_duplicates,
        templates=list(reason_templates()),
        audit_entries=case_audit_entries(case),
    )


def case_audit_entries(case: Case) -> list[AuditLog]:
    """The audit log rows about this case and its posting: who did what, from the legal record."""
    scope = Q(target_type=Case._meta.label_lower, target_id=str(case.pk))
    if case.posting_id:
        scope |= Q(target_type=JobPosting._meta.label_lower, target_id=str(case.posting_id))
    return list(AuditLog.objects.filter(scope).order_by("-created_at", "-id")[:AUDIT_LIMIT])


def case_for_page(pk: int) -> Case:
    return Case.objects.select_related(
        "posting__employer", "employer", "seeker", "claimed_by", "excluded_moderator"
    ).get(pk=pk)


def cases_with_reports(pks: list[int]) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=pks).prefetch_related(
        Prefetch("reports", queryset=Report.objects.order_by("filed_at"))
    )


@dataclass(frozen=True)
class PostingModerationStatus:
    """Whether a posting is live and, if not, the decision behind it (the "why was this hidden" read model)."""

    posting_id: str
    live: bool
    status: str
    reason_code: str | None = None
    public_reason: str | None = None
    public_reason_en: str | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None


def posting_moderation_status(posting_external_id: str) -> PostingModerationStatus | None:
    """None for an unknown posting. For one not live, the latest decision (not undone) that put it in its
    current status, with the reason template's public texts; two queries at most."""
    posting = JobPosting.objects.filter(external_id=posting_external_id).only("external_id", "status").first()
    if posting is None:
        return None
    if posting.status == PostingStatus.PUBLISHED:
        return PostingModerationStatus(posting_id=posting.external_id, live=True, status=posting.status)
    decision = (
        Decision.objects.filter(case__posting=posting, undone_at__isnull=True, posting_status_after=posting.status)
        .select_related("reason_template")
        .order_by("-created_at", "-id")
        .first()
    )
    template = decision.reason_template if decision is not None else None
    return PostingModerationStatus(
        posting_id=posting.external_id,
        live=False,
        status=posting.status,
        reason_code=template.code if template else None,
        public_reason=template.text_ko if template else None,
        public_reason_en=template.text_en if template else None,
        decided_at=decision.created_at if decision else None,
        decided_by=("staff" if decision.moderator_id else "system") if decision else None,
    )
