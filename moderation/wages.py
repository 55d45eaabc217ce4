"""Re-checking live postings' wages when the legal minimum changes (DOMAIN.md P2, "a dated table").

A posting is screened when it is created or edited, against the minimum-wage table of that moment. When a new
year is added (announced every summer for the next January), postings already live whose work starts in that
year were judged by the previous year's rate (``MinimumWageTable.hourly_for`` falls back to the latest known
year); they must be judged again, or a posting paying 10,500 KRW an hour stays up after the 2027 minimum
passes it.

Only the enabled minimum-wage rules run here, not the whole screening: re-screening every live posting with
every rule would apply keyword, contact or velocity rules added since a posting was published to the whole
marketplace as a side effect of a wage-table edit, and flood the queue. Their mode and tolerance are honoured
(``dry_run`` records only, ``flag`` opens or updates the posting's case, ``auto_hide`` hides), hits go through
``intake.hits_record`` like any screening batch, and a finding already recorded on the posting (same
numbers, same spans) is not recorded again, so a rerun changes nothing. The new year is in the evidence
(``numbers.year`` / ``required``), so a posting already flagged under last year's rate gets a new hit.

Postings are read in keyset pages by id with only the fields the rule reads: memory stays bounded whatever the
number of live postings. Writes lock only the postings that fell short, re-checked under their row lock.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from backoffice.audit import Actor
from jobs import selectors as jobs_selectors
from jobs.models import JobPosting, PostingStatus
from moderation import screening
from moderation.actions import intake
from moderation.actions.intake import HitInput
from moderation.models import Rule, RuleHit, RuleKind
from moderation.rules import evidence_identity

logger = logging.getLogger(__name__)

RECHECK_ACTOR = "wage-recheck"
RECHECK_BATCH_SIZE = 500
# What the rule and the posting view read, plus what the write compares to detect a concurrent edit.
_FIELDS = ("id", "employer_id", "status", "created_at", "published_at", *screening.CONTENT_FIELDS)


@dataclass
class RecheckCounts:
    rules: int = 0
    checked: int = 0
    below_minimum: int = 0
    hits_recorded: int = 0
    cases: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _content(posting: JobPosting) -> tuple[object, ...]:
    return tuple(getattr(posting, name) for name in screening.CONTENT_FIELDS)


def _known(posting_ids: Sequence[int], rule_ids: Sequence[int]) -> defaultdict[tuple[int, int], set[str]]:
    """(posting, rule) → identities of the findings already recorded."""
    known: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
    rows = RuleHit.objects.filter(posting_id__in=posting_ids, rule_id__in=rule_ids).values_list(
        "posting_id", "rule_id", "evidence"
    )
    for posting_id, rule_id, evidence in rows:
        known[(posting_id, rule_id)].add(evidence_identity(evidence or {}))
    return known


def _record(
    found: dict[int, tuple[JobPosting, list[HitInput]]], rule_ids: Sequence[int], counts: RecheckCounts
) -> None:
    """Record new findings under the postings' row locks (``ORDER BY id``, as the screening batches lock)."""
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in JobPosting.objects.select_for_update(no_key=True).filter(pk__in=sorted(found)).order_by("pk")
        }
        known = _known(list(locked), rule_ids)
        todo: list[tuple[JobPosting, list[HitInput]]] = []
        for pk, (posting, hits) in found.items():
            row = locked.get(pk)
            # No longer live, or edited since it was read: the edit's own screening judges the new terms.
            if row is None or row.status != PostingStatus.PUBLISHED or _content(row) != _content(posting):
                continue
            new = [hit for hit in hits if evidence_identity(hit.evidence) not in known[(pk, hit.rule.pk)]]
            if new:
                todo.append((row, new))
        actor = Actor.system(RECHECK_ACTOR)
        outcomes = intake.hits_record([intake.HitsRecord(row, hits, actor) for row, hits in todo])
    counts.hits_recorded += sum(len(hits) for _row, hits in todo)
    counts.cases += sum(1 for outcome in outcomes if outcome.value is not None)


def postings_recheck_wages(*, year: int | None = None, batch_size: int = RECHECK_BATCH_SIZE) -> dict[str, int]:
    """Judge every published posting's wage again with the enabled minimum-wage rules; returns counts.

    ``year`` (the table row that triggered it) is only logged: every live posting is checked, because the
    year a posting is judged by depends on its start date and the table's fallback, and the check is cheap
    (the rule computes the legal minimum once per wage type, hours and year)."""
    counts = RecheckCounts()
    rules = list(Rule.objects.filter(enabled=True, kind=RuleKind.MIN_WAGE).order_by("pk"))
    compiled, _invalid = screening.compile_rules(rules)
    counts.rules = len(compiled)
    if not compiled:
        logger.info("Wage re-check (year %s): no enabled minimum-wage rule, nothing to do", year)
        return counts.as_dict()
    try:
        table = jobs_selectors.minimum_wage_table()
    except ValueError:
        logger.error("Wage re-check (year %s): the minimum-wage table is empty", year)
        return counts.as_dict()
    rule_ids = [item.rule.pk for item in compiled]
    tz = timezone.get_current_timezone()
    last_id = 0
    while True:
        batch = list(
            JobPosting.objects.filter(status=PostingStatus.PUBLISHED, pk__gt=last_id)
            .only(*_FIELDS)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1].pk
        counts.checked += len(batch)
        found: dict[int, tuple[JobPosting, list[HitInput]]] = {}
        for posting in batch:
            fired, _failed = screening.evaluate_rules(screening.posting_view(posting, table=table, tz=tz), compiled)
            if fired:
                found[posting.pk] = (posting, [HitInput(rule, hit.evidence()) for rule, hit in fired])
        if not found:
            continue
        counts.below_minimum += len(found)
        # Most findings of a rerun are known: lock and write only when something is new.
        known = _known(list(found), rule_ids)
        if any(
            evidence_identity(hit.evidence) not in known[(pk, hit.rule.pk)]
            for pk, (_posting, hits) in found.items()
            for hit in hits
        ):
            _record(found, rule_ids, counts)
    logger.info("Wage re-check (year %s): %s", year, counts.as_dict())
    return counts.as_dict()
