"""Intake: users' reports and rule hits put their targets in the review queue. One implementation each, over a
list: the ingestion consumer passes a batch's reports, screening a batch's hits, a test or the admin a list of
one.

A call opens or updates each target's case with a constant number of statements whatever the list's size: one
locking read of the targets' open cases (``ORDER BY id``, the same order in every batch), one insert of the
new cases, of the reports or hits, of the timeline entries and of the audit rows, one read of every case's
scoring signals (``selectors.case_signals_many``) and one update of the cases. Auto-hiding stays per case
(``common.maybe_auto_hide``: rare, and it writes a decision and an outbox event).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from backoffice.actions import Outcome, as_domain_error
from backoffice.audit import Actor, audit_entry, audit_record_many
from backoffice.bulk import bulk_update_rows
from jobs.models import JobPosting
from moderation import policies, selectors
from moderation.actions.common import Target, config, kind_of, maybe_auto_hide, rescore
from moderation.models import Case, CaseEvent, CaseStatus, Report, ReporterStats, Rule, RuleHit, RuleMode, target_key

CASE_FIELDS = (
    "report_count",
    "reporter_count",
    "hit_count",
    "primary_reason",
    "score",
    "band",
    "due_at",
    "auto_hidden",
    "version",
)


@dataclass(frozen=True)
class HitInput:
    rule: Rule
    evidence: dict[str, Any]


@dataclass(frozen=True)
class HitsRecord:
    """A posting's new rule hits (the caller holds the posting's row lock)."""

    posting: JobPosting
    hits: Sequence[HitInput]
    actor: Actor = field(default_factory=lambda: Actor.system("screening"))


@dataclass(frozen=True)
class ReportFiling:
    """One user's report, its target resolved."""

    actor: Actor
    external_id: str
    reporter_kind: str
    reporter_external_id: str
    target: Target
    reason: str
    text: str = ""
    filed_at: dt.datetime | None = None


@dataclass
class _CaseWork:
    case: Case
    created: bool
    events: list[tuple[str, Actor, str]] = field(default_factory=list)  # timeline: kind, actor, message
    auto_hide_rules: list[str] = field(default_factory=list)


class _Cases:
    """The open case of each target, locked; new ones inserted together."""

    def __init__(self, targets: Sequence[Target], primary_reasons: dict[str, str] | None = None) -> None:
        by_key: dict[str, Target] = {}
        for target in targets:
            by_key[target_key(kind_of(target), target.pk)] = target
        existing = (
            Case.objects.select_for_update(no_key=True, of=("self",))
            .select_related("posting")
            .filter(target_key__in=sorted(by_key))
            .exclude(status=CaseStatus.RESOLVED)
            .order_by("pk")
        )
        self.work: dict[str, _CaseWork] = {case.target_key: _CaseWork(case, False) for case in existing}
        now = timezone.now()
        new: list[Case] = []
        for key, target in by_key.items():
            if key in self.work:
                continue
            kind = kind_of(target)
            case = Case(
                target_kind=kind,
                target_key=key,
                primary_reason=(primary_reasons or {}).get(key, ""),
                opened_at=now,
                due_at=policies.due_at(now, policies.Band.LOW, config()["SLA_HOURS"]),
                region_code=getattr(target, "region_code", ""),
                category=getattr(target, "category", ""),
                **{kind.value: target},
            )
            new.append(case)
            self.work[key] = _CaseWork(case, True)
        # A concurrent transaction opening the same target's case makes this raise (one open case per
        # target): the caller falls back to the per-item services, which use theirs.
        Case.objects.bulk_create(new)

    def of(self, target: Target) -> _CaseWork:
        return self.work[target_key(kind_of(target), target.pk)]

    def finish(self, audits: list) -> None:  # type: ignore[type-arg]
        """Re-score every touched case once, auto-hide where due, write cases, timeline and audit rows."""
        works = [w for w in self.work.values() if w.events]
        signals = selectors.case_signals_many([w.case for w in works])
        timeline: list[CaseEvent] = []
        for work in works:
            case = work.case
            rescore(case, signals[case.pk])
            maybe_auto_hide(case, force=bool(work.auto_hide_rules), reason=", ".join(work.auto_hide_rules))
            case.version += 1  # the row is locked (or new): the in-memory version is current
            for kind, actor, message in work.events:
                timeline.append(
                    CaseEvent(
                        case=case,
                        kind=kind,
                        actor=actor.user,
                        actor_label=actor.label or actor.kind,
                        message=message[:300],
                    )
                )
        bulk_update_rows(Case, [w.case for w in works], CASE_FIELDS)
        CaseEvent.objects.bulk_create(timeline)
        audit_record_many(build() for build in audits)
        if works:
            transaction.on_commit(selectors.forget_backlog_count)


@transaction.atomic
def reports_file(filings: Sequence[ReportFiling]) -> list[Outcome[Report]]:
    """Record users' reports and put their targets in the queue. A report already recorded (same external id)
    changes nothing, so replays are harmless; several reports on one target go to one case; a report that
    breaks a field rule is rejected before any case is opened."""
    outcomes: list[Outcome[Report]] = [Outcome.unchanged(None)] * len(filings)
    known = {r.external_id: r for r in Report.objects.filter(external_id__in=sorted({f.external_id for f in filings}))}
    todo: list[tuple[int, ReportFiling]] = []
    for index in sorted(range(len(filings)), key=lambda i: (filings[i].filed_at or timezone.now(), i)):
        filing = filings[index]
        if filing.external_id in known:
            outcomes[index] = Outcome.unchanged(known[filing.external_id])
        else:
            known[filing.external_id] = None  # type: ignore[assignment]  # the first of the list counts
            todo.append((index, filing))
    # Validated before any case is opened: a report that fails opens nothing.
    valid: list[tuple[ReportFiling, Report]] = []
    now = timezone.now()
    for index, filing in todo:
        kind = kind_of(filing.target)
        report = Report(
            external_id=filing.external_id,
            reporter_kind=filing.reporter_kind,
            reporter_external_id=filing.reporter_external_id,
            reason=filing.reason,
            text=filing.text,
            target_kind=kind,
            target_key=target_key(kind, filing.target.pk),
            filed_at=filing.filed_at or now,
            **{kind.value: filing.target},
        )
        try:
            report.full_clean(exclude=["case", "posting", "employer", "seeker"], validate_unique=False)
        except ValidationError as exc:
            outcomes[index] = Outcome.rejected(as_domain_error(exc))
            continue
        valid.append((filing, report))
        outcomes[index] = Outcome.applied(report)
    if not valid:
        return outcomes
    first_reason: dict[str, str] = {}
    for filing, report in valid:
        first_reason.setdefault(report.target_key, filing.reason)
    cases = _Cases([filing.target for filing, _report in valid], first_reason)
    case_ids = [w.case.pk for w in cases.work.values()]
    reporters_seen = set(
        Report.objects.filter(case_id__in=case_ids).values_list("case_id", "reporter_kind", "reporter_external_id")
    )
    stats_keys = sorted({(f.reporter_kind, f.reporter_external_id) for f, _r in valid})
    stats = {
        (s.reporter_kind, s.reporter_external_id): s
        for s in ReporterStats.objects.select_for_update(no_key=True)
        .filter(reporter_external_id__in=[k[1] for k in stats_keys])
        .order_by("pk")
    }
    reports: list[Report] = []
    audits = []
    filed: dict[tuple[str, str], int] = defaultdict(int)
    for filing, report in valid:
        work = cases.of(filing.target)
        case = work.case
        report.case = case
        reports.append(report)
        seen_key = (case.pk, filing.reporter_kind, filing.reporter_external_id)
        already_reported = seen_key in reporters_seen
        reporters_seen.add(seen_key)
        filed[(filing.reporter_kind, filing.reporter_external_id)] += 1
        case.report_count += 1
        if not already_reported:
            case.reporter_count += 1
        if not case.primary_reason:
            case.primary_reason = filing.reason
        opened = work.created and not work.events
        work.events.append(
            (
                "opened" if opened else "report_added",
                filing.actor,
                f"Report {filing.external_id}: {report.get_reason_display()}"
                + (" (same reporter again)" if already_reported else ""),
            )
        )
        audits.append(
            lambda actor=filing.actor, report=report, case=case: audit_entry(
                actor=actor, action="report.filed", target=report, metadata={"case": case.pk, "reason": report.reason}
            )
        )
    Report.objects.bulk_create(reports)
    new_stats = [
        ReporterStats(reporter_kind=kind, reporter_external_id=reporter, reports_filed=count)
        for (kind, reporter), count in filed.items()
        if (kind, reporter) not in stats
    ]
    for key, count in filed.items():
        if key in stats:
            stats[key].reports_filed += count
    ReporterStats.objects.bulk_create(new_stats)
    bulk_update_rows(ReporterStats, [s for key, s in stats.items() if key in filed], ["reports_filed"])
    cases.finish(audits)
    return outcomes


@transaction.atomic
def hits_record(items: Sequence[HitsRecord]) -> list[Outcome[Case]]:
    """Record rule hits on postings. Dry-run hits are only recorded; flag/auto-hide hits open or update the
    posting's case (the outcome's value; None without live hits), and an auto-hide rule hides the posting at
    once (a person then confirms or restores)."""
    rows: list[RuleHit] = []
    live_items = [[h for h in item.hits if h.rule.mode != RuleMode.DRY_RUN] for item in items]
    cases = _Cases([item.posting for item, live in zip(items, live_items, strict=True) if live])
    audits = []
    outcomes: list[Outcome[Case]] = []
    for item, live in zip(items, live_items, strict=True):
        posting, hits, actor = item.posting, item.hits, item.actor
        for hit in hits:
            if hit.rule.mode == RuleMode.DRY_RUN:
                rows.append(
                    RuleHit(
                        rule=hit.rule,
                        posting=posting,
                        weight=hit.rule.weight,
                        mode=hit.rule.mode,
                        evidence=hit.evidence,
                    )
                )
        if not live:
            outcomes.append(Outcome.unchanged(None))
            continue
        work = cases.of(posting)
        case = work.case
        for hit in live:
            rows.append(
                RuleHit(
                    rule=hit.rule,
                    posting=posting,
                    case=case,
                    weight=hit.rule.weight,
                    mode=hit.rule.mode,
                    evidence=hit.evidence,
                )
            )
        case.hit_count += len(live)
        work.auto_hide_rules += [h.rule.name for h in live if h.rule.mode == RuleMode.AUTO_HIDE]
        names = [h.rule.name for h in live]
        work.events.append(
            ("opened" if work.created and not work.events else "hits_added", actor, "Rules fired: " + ", ".join(names))
        )
        audits.append(
            lambda case=case, names=names, actor=actor: audit_entry(
                actor=actor, action="case.rule_hits", target=case, metadata={"rules": names}
            )
        )
        outcomes.append(Outcome.applied(case))
    # Hits first: the re-scoring reads them.
    RuleHit.objects.bulk_create(rows)
    cases.finish(audits)
    return outcomes
