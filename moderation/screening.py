"""Screening: new and updated postings run through the enabled rules before they count as published.

EVENTS.md: "A new or updated posting is screened by the enabled rules before it counts as published." So:

- ``posting_changed`` (created / updated, after commit) → ``screen_posting`` (``ModerationConfig.ready``);
  the ingestion consumer wraps a batch in ``screening_deferred()`` and the batch is screened at once with
  ``screen_postings`` (a constant number of queries to load everything, whatever the batch size).
- Hits go through ``intake.hits_record``: dry-run hits are only recorded, flag / auto-hide hits open or
  update the posting's case (auto-hide also hides it). A hit already recorded on the posting with the same
  evidence is not recorded again, so re-screening unchanged content changes nothing.
- A posting in ``pending_review`` that no live rule flagged and that has no open case is published by
  ``system:screening``. With a hit or an open case it stays pending: the case decides (approve publishes).
- One broken rule (a bad config, an exception) is logged and skipped; the posting is still screened by the
  others. A posting is never lost: at worst it stays pending for a person.

``dry_run`` evaluates rules over the last N days without writing anything (the admin's dry-run action).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backoffice.actions import OutcomeStatus
from backoffice.audit import Actor
from jobs import selectors as jobs_selectors
from jobs.actions.common import PostingChange
from jobs.actions.postings import PostingStatusChange, postings_change_status
from jobs.models import JobPosting, PostingStatus
from jobs.policies import MinimumWageTable
from moderation.actions import intake
from moderation.models import Case, CaseStatus, Rule, RuleHit, RuleMode
from moderation.rules import (
    EmployerHistory,
    Evaluator,
    HistoryEntry,
    Hit,
    PostingView,
    compile_rule,
    evidence_identity,
)

logger = logging.getLogger(__name__)

# Closed, expired and rejected postings are not shown to anyone: an edit to them is not screened.
SCREENED_STATUSES = (PostingStatus.PENDING_REVIEW, PostingStatus.PUBLISHED, PostingStatus.HIDDEN)
# The fields rules read: a posting whose content changed between loading and writing is left to the
# screening its own change triggers.
CONTENT_FIELDS = (
    "title",
    "description",
    "employment_type",
    "wage_type",
    "wage_amount",
    "hours_per_week",
    "starts_on",
    "ends_on",
)
SCREENING_ACTOR = "screening"
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
DRY_RUN_MAX_POSTINGS = 20_000  # in the request; more runs as a background job
DRY_RUN_MAX_BACKGROUND = 500_000
DRY_RUN_CHUNK = 2_000
DRY_RUN_EXAMPLES = 50


# --- rules ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    evaluator: Evaluator


def compile_rules(rules: Iterable[Rule]) -> tuple[list[CompiledRule], dict[int, str]]:
    """Evaluators for the rules, and the rules whose config cannot be used (pk → message); those are skipped."""
    compiled: list[CompiledRule] = []
    invalid: dict[int, str] = {}
    for rule in rules:
        try:
            compiled.append(CompiledRule(rule, compile_rule(rule.kind, rule.config)))
        except ValidationError as exc:
            invalid[rule.pk] = " ".join(exc.messages)
            logger.error("Screening rule %s (#%s) has an unusable config and is skipped: %s", rule, rule.pk, exc)
    return compiled, invalid


def evaluate_rules(view: PostingView, compiled: Sequence[CompiledRule]) -> tuple[list[tuple[Rule, Hit]], list[Rule]]:
    """(rule, hit) for each rule that fired, and the rules that raised (logged; the others still run)."""
    fired: list[tuple[Rule, Hit]] = []
    failed: list[Rule] = []
    for item in compiled:
        try:
            hit = item.evaluator.evaluate(view)
        except Exception:  # one broken rule must not stop the screening of a posting
            logger.exception("Screening rule %s (#%s) failed on posting %s", item.rule, item.rule.pk, view.posting_id)
            failed.append(item.rule)
            continue
        if hit is not None:
            fired.append((item.rule, hit))
    return fired, failed


# --- loading (constant number of queries per batch) ----------------------------------------------------
def _wage_table(compiled: Sequence[CompiledRule]) -> MinimumWageTable | None:
    if not any(item.evaluator.needs_wage_table for item in compiled):
        return None
    try:
        return jobs_selectors.minimum_wage_table()
    except ValueError:
        logger.error("The minimum-wage table is empty: minimum-wage rules are skipped.")
        return None


def _history_days(compiled: Sequence[CompiledRule]) -> float:
    return max((item.evaluator.history_days for item in compiled), default=0)


def _histories(postings: Sequence[JobPosting], days: float) -> dict[int, EmployerHistory]:
    """The employers' postings from ``days`` before the oldest screened posting up to the newest: one query."""
    if not postings or days <= 0:
        return {}
    since = min(p.created_at for p in postings) - dt.timedelta(days=days)
    until = max(p.created_at for p in postings)
    rows = JobPosting.objects.filter(
        employer_id__in={p.employer_id for p in postings}, created_at__gte=since, created_at__lte=until
    ).values_list("id", "employer_id", "created_at", "status", "external_id", "title", "description")
    by_employer: dict[int, list[HistoryEntry]] = defaultdict(list)
    for pk, employer_id, created_at, status, external_id, title, description in rows.iterator(chunk_size=2000):
        by_employer[employer_id].append(HistoryEntry(pk, created_at, status, external_id, title, description))
    return {employer_id: EmployerHistory(entries) for employer_id, entries in by_employer.items()}


def posting_view(
    posting: JobPosting,
    *,
    table: MinimumWageTable | None,
    history: EmployerHistory | None = None,
    tz: dt.tzinfo | None = None,
) -> PostingView:
    tz = tz or timezone.get_current_timezone()
    return PostingView(
        title=posting.title,
        description=posting.description,
        employment_type=posting.employment_type,
        wage_type=posting.wage_type,
        wage_amount=posting.wage_amount,
        created_at=posting.created_at,
        # As jobs.selectors.posting_wage_finding: the publication date, else the creation date.
        judged_on=(posting.published_at or posting.created_at).astimezone(tz).date(),
        posting_id=posting.pk,
        employer_id=posting.employer_id,
        hours_per_week=posting.hours_per_week,
        starts_on=posting.starts_on,
        ends_on=posting.ends_on,
        wage_table=table,
        history=history if history is not None else EmployerHistory(),
    )


# --- screening -----------------------------------------------------------------------------------------
@dataclass
class ScreeningResult:
    posting_id: int
    recorded: list[str] = field(default_factory=list)  # rules whose hit was recorded now
    repeated: list[str] = field(default_factory=list)  # rules that fired with evidence already recorded
    failed: list[str] = field(default_factory=list)  # rules that raised
    case_id: int | None = None
    published: bool = False
    error: str = ""


def _content(posting: JobPosting) -> tuple[Any, ...]:
    return tuple(getattr(posting, name) for name in CONTENT_FIELDS)


def _known_hits(posting_ids: Sequence[int]) -> defaultdict[tuple[int, int], set[str]]:
    """(posting, rule) → identities of the evidence already recorded: re-screening adds no duplicate hits."""
    known: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
    rows = RuleHit.objects.filter(posting_id__in=posting_ids).values_list("posting_id", "rule_id", "evidence")
    for posting_id, rule_id, evidence in rows:
        known[(posting_id, rule_id)].add(evidence_identity(evidence or {}))
    return known


def screen_postings(posting_ids: Iterable[int]) -> list[ScreeningResult]:
    """Screen a batch of postings with the enabled rules.

    Loading costs a constant number of queries whatever the batch size (postings, rules, minimum-wage table,
    the employers' recent postings, earlier hits, open cases), and so do the writes: the new hits of all
    postings in one transaction (``intake.hits_record``), the clean pending postings published in
    another. If the batch write fails, each posting is written alone."""
    ids = list(dict.fromkeys(posting_ids))
    if not ids:
        return []
    postings = list(JobPosting.objects.filter(pk__in=ids, status__in=SCREENED_STATUSES).order_by("pk"))
    if not postings:
        return []
    compiled, _invalid = compile_rules(Rule.objects.filter(enabled=True).order_by("pk"))
    table = _wage_table(compiled)
    histories = _histories(postings, _history_days(compiled))
    screened_ids = [p.pk for p in postings]
    known = _known_hits(screened_ids)
    with_open_case = _with_open_case(screened_ids)

    results: list[ScreeningResult] = []
    to_publish: list[tuple[JobPosting, ScreeningResult]] = []
    with_hits: list[tuple[JobPosting, list[intake.HitInput], bool, ScreeningResult]] = []
    tz = timezone.get_current_timezone()
    for posting in postings:
        result = ScreeningResult(posting.pk)
        results.append(result)
        view = posting_view(posting, table=table, history=histories.get(posting.employer_id), tz=tz)
        fired, failed = evaluate_rules(view, compiled)
        result.failed = [rule.name for rule in failed]
        new_hits: list[intake.HitInput] = []
        for rule, hit in fired:
            evidence = hit.evidence()
            if evidence_identity(evidence) in known[(posting.pk, rule.pk)]:
                result.repeated.append(rule.name)
            else:
                new_hits.append(intake.HitInput(rule, evidence))
        live = any(hit.rule.mode != RuleMode.DRY_RUN for hit in new_hits)
        may_publish = posting.status == PostingStatus.PENDING_REVIEW and not live and posting.pk not in with_open_case
        if not new_hits:
            if may_publish:
                to_publish.append((posting, result))
            continue
        with_hits.append((posting, new_hits, may_publish, result))
    if with_hits:
        try:
            _retrying_deadlocks(_record_hits, with_hits)
        except Exception:  # e.g. a concurrent screening opened a case first: one posting at a time then
            logger.warning("Recording hits as a batch failed; recording them posting by posting", exc_info=True)
            for posting, new_hits, may_publish, result in with_hits:
                try:
                    _retrying_deadlocks(_record_hits, [(posting, new_hits, may_publish, result)])
                except Exception as exc:  # one posting's failed write must not stop the batch
                    logger.exception("Recording the screening of posting %s failed; it stays as it was", posting.pk)
                    result.error = str(exc)
    if to_publish:
        try:
            _retrying_deadlocks(_publish_clean, to_publish)
        except Exception as exc:  # they stay pending; the pending sweep screens them again
            logger.exception("Publishing %d screened postings failed; they stay pending", len(to_publish))
            for _posting, result in to_publish:
                result.error = str(exc)
    return results


def _retrying_deadlocks(write: Callable[[Any], None], items: Any, attempts: int = 3) -> None:
    """Run a batch write, again when PostgreSQL picked it as a deadlock victim (a concurrent consumer's batch
    locked one of the same postings in another order: rare, and nothing was written)."""
    for attempt in range(1, attempts + 1):
        try:
            write(items)
            return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED or attempt == attempts:
                raise
            logger.warning("Screening write lost a deadlock (attempt %d of %d); again", attempt, attempts)


def _record_hits(items: Sequence[tuple[JobPosting, list[intake.HitInput], bool, ScreeningResult]]) -> None:
    """Record the new hits of a batch's postings at once (``intake.hits_record``), each posting re-checked
    under its row lock; then publish those whose only new hits are dry-run ones."""
    screened = {item[0].pk: item for item in items}
    actor = Actor.system(SCREENING_ACTOR)
    with transaction.atomic():
        locked = _lock_postings(screened)
        recorded = _known_hits(list(locked))
        todo: list[tuple[JobPosting, list[intake.HitInput], ScreeningResult]] = []
        publish: list[JobPosting] = []
        for pk, (posting, new_hits, may_publish, result) in screened.items():
            row = locked.get(pk)
            if row is None or row.status not in SCREENED_STATUSES or _content(row) != _content(posting):
                continue  # closed meanwhile, or edited: the edit's own screening judges the new content
            hits = [h for h in new_hits if evidence_identity(h.evidence) not in recorded[(pk, h.rule.pk)]]
            if hits:
                todo.append((row, hits, result))
            if may_publish and row.status == PostingStatus.PENDING_REVIEW:
                publish.append(row)
        outcomes = intake.hits_record([intake.HitsRecord(row, hits, actor) for row, hits, _result in todo])
        for (_row, hits, result), outcome in zip(todo, outcomes, strict=True):
            result.recorded = [hit.rule.name for hit in hits]
            result.case_id = outcome.value.pk if outcome.value is not None else None
        for row in _publish_without_open_case(publish):
            screened[row.pk][3].published = True


def _publish_clean(items: Sequence[tuple[JobPosting, ScreeningResult]]) -> None:
    """Publish the clean pending postings of a batch at once, each re-checked under its row lock (status,
    content unchanged since it was screened, no open case)."""
    screened = {posting.pk: (posting, result) for posting, result in items}
    with transaction.atomic():
        ready = [
            row
            for row in _lock_postings(screened).values()
            if row.status == PostingStatus.PENDING_REVIEW and _content(row) == _content(screened[row.pk][0])
        ]
        published = _publish_without_open_case(ready)
    for row in published:
        screened[row.pk][1].published = True


def _lock_postings(ids: Iterable[int]) -> dict[int, JobPosting]:
    # In id order, like every batch that locks postings: concurrent batches wait for each other, not deadlock.
    rows = JobPosting.objects.select_for_update(no_key=True).filter(pk__in=sorted(ids)).order_by("pk")
    return {row.pk: row for row in rows}


def _with_open_case(posting_ids: Iterable[int]) -> set[int]:
    return set(
        Case.objects.filter(posting_id__in=list(posting_ids))
        .exclude(status=CaseStatus.RESOLVED)
        .values_list("posting_id", flat=True)
    )


def _publish_without_open_case(rows: Sequence[JobPosting]) -> list[JobPosting]:
    """Publish locked pending postings, except those with an open case (the case decides)."""
    if not rows:
        return []
    with_open_case = _with_open_case(row.pk for row in rows)
    actor = Actor.system(SCREENING_ACTOR)
    outcomes = postings_change_status(
        [
            PostingStatusChange(
                actor=actor, posting=row, status=PostingStatus.PUBLISHED, note="Screened: no rule flagged it."
            )
            for row in rows
            if row.pk not in with_open_case
        ]
    )
    return [o.value for o in outcomes if o.status == OutcomeStatus.APPLIED and o.value is not None]


def screen_posting(posting_id: int) -> ScreeningResult | None:
    """Screen one posting (None when it is not in a screened status, e.g. closed)."""
    results = screen_postings([posting_id])
    return results[0] if results else None


def screen_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=5), limit: int = 2000) -> int:
    """Screen again the postings still pending review without an open case (the sweep behind the after-commit
    screening: a consumer killed between its commit and its screening leaves them so). Returns how many
    were screened; screening is idempotent (known hits are not recorded twice), so overlap is harmless."""
    cutoff = timezone.now() - older_than
    open_cases = Case.objects.filter(posting_id=OuterRef("pk")).exclude(status=CaseStatus.RESOLVED)
    screened = 0
    last_id = 0
    while screened < limit:
        # Keyset pages of ids: bounded memory however many are waiting.
        ids = list(
            JobPosting.objects.filter(status=PostingStatus.PENDING_REVIEW, updated_at__lte=cutoff, pk__gt=last_id)
            .exclude(Exists(open_cases))
            .order_by("pk")
            .values_list("pk", flat=True)[: min(500, limit - screened)]
        )
        if not ids:
            break
        screen_postings(ids)
        screened += len(ids)
        last_id = ids[-1]
    return screened


# --- wiring: posting_changed → screening ---------------------------------------------------------------
_deferred: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("screening_deferred", default=None)


@contextmanager
def screening_deferred() -> Iterator[list[int]]:
    """Collect the postings announced inside the block and screen them as one batch when it ends.

    For the ingestion consumer: put the transaction *inside* the block, so the ``posting_changed`` signals
    (sent after commit) are collected here rather than screened one by one."""
    pending: list[int] = []
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)
        if pending:
            try:
                screen_postings(pending)
            except Exception:  # the batch's own work is committed: log, never undo it
                logger.exception("Screening of a deferred batch of %d postings failed", len(pending))


def on_posting_changed(sender: object, *, posting_id: int, change: str, **kwargs: Any) -> None:
    """Receiver of ``jobs.signals.posting_changed`` (connected in ``ModerationConfig.ready``)."""
    if change not in (PostingChange.CREATED, PostingChange.UPDATED):
        return
    pending = _deferred.get()
    if pending is not None:
        pending.append(posting_id)
        return
    try:
        screen_posting(posting_id)
    except Exception:  # the posting is committed; screening must not break its sender
        logger.exception("Screening of posting %s failed; it stays pending for a person", posting_id)


# --- dry run -------------------------------------------------------------------------------------------
@dataclass
class DryRunExample:
    posting: JobPosting
    hit: Hit


@dataclass
class DryRunRuleResult:
    rule: Rule
    error: str = ""
    hits: int = 0
    failures: int = 0
    # Postings it would have flagged that are now hidden or rejected: a rough lower bound on precision.
    removed: int = 0
    examples: list[DryRunExample] = field(default_factory=list)


@dataclass
class DryRunReport:
    since: dt.datetime
    until: dt.datetime
    days: int
    limit: int
    scanned: int
    truncated: bool
    seconds: float
    results: list[DryRunRuleResult]

    def rate(self, result: DryRunRuleResult) -> float:
        return result.hits / self.scanned if self.scanned else 0.0


_DRY_RUN_FIELDS = (
    "id",
    "external_id",
    "employer_id",
    "status",
    "created_at",
    "published_at",
    *CONTENT_FIELDS,
)


def dry_run(
    *,
    rules: Sequence[Rule],
    days: int = 7,
    limit: int = DRY_RUN_MAX_POSTINGS,
    examples: int = DRY_RUN_EXAMPLES,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DryRunReport:
    """What the rules would have flagged among the postings created in the last ``days`` (newest first, at
    most ``limit``), enabled or not, whatever their mode. Reads only: nothing is recorded or audited.

    Postings are read in keyset pages of ``DRY_RUN_CHUNK`` (bounded memory whatever the window); the admin
    runs up to ``DRY_RUN_MAX_POSTINGS`` in the request (seconds) and larger windows as a background job, which
    passes ``progress(done, total)``."""
    started = time.perf_counter()
    until = now or timezone.now()
    since = until - dt.timedelta(days=days)
    limit = max(1, min(limit, DRY_RUN_MAX_BACKGROUND))
    window = JobPosting.objects.filter(created_at__gte=since, created_at__lte=until).order_by("-created_at", "-id")
    total = window[: limit + 1].count() if progress is not None else limit
    compiled, invalid = compile_rules(rules)
    results = {rule.pk: DryRunRuleResult(rule, error=invalid.get(rule.pk, "")) for rule in rules}
    table = _wage_table(compiled)
    history_days = _history_days(compiled)
    tz = timezone.get_current_timezone()
    scanned = 0
    truncated = False
    last: tuple[dt.datetime, int] | None = None
    if progress is not None:
        progress(0, min(total, limit))
    while True:
        page = window.only(*_DRY_RUN_FIELDS)
        if last is not None:
            page = page.filter(Q(created_at__lt=last[0]) | Q(created_at=last[0], id__lt=last[1]))
        chunk = list(page[: min(DRY_RUN_CHUNK, limit - scanned + 1)])
        if scanned + len(chunk) > limit:
            truncated = True
            chunk = chunk[: limit - scanned]
        if not chunk:
            break
        histories = _histories(chunk, history_days)
        for posting in chunk:
            view = posting_view(posting, table=table, history=histories.get(posting.employer_id), tz=tz)
            fired, failed = evaluate_rules(view, compiled)
            for rule in failed:
                results[rule.pk].failures += 1
            for rule, hit in fired:
                result = results[rule.pk]
                result.hits += 1
                if posting.status in (PostingStatus.HIDDEN, PostingStatus.REJECTED):
                    result.removed += 1
                if len(result.examples) < examples:
                    result.examples.append(DryRunExample(posting, hit))
        scanned += len(chunk)
        last = (chunk[-1].created_at, chunk[-1].pk)
        if progress is not None:
            progress(scanned, min(total, limit))
        if truncated or scanned >= limit:
            truncated = (
                truncated or window.filter(Q(created_at__lt=last[0]) | Q(created_at=last[0], id__lt=last[1])).exists()
            )
            break
    return DryRunReport(
        since=since,
        until=until,
        days=days,
        limit=limit,
        scanned=scanned,
        truncated=truncated,
        seconds=time.perf_counter() - started,
        results=[results[rule.pk] for rule in rules],
    )
