"""Handlers for the marketplace events moderation consumes: users' reports. Thin: targets resolved with one
query per kind, then one call of ``intake.reports_file`` for the batch (or for one event, in the processor's
fallback). Runs after the jobs stages, so targets the same batch registers are found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from backoffice.actions import Outcome
from backoffice.audit import Actor
from backoffice.events.registry import BatchResult, register
from backoffice.events.schemas import Event
from jobs.models import Employer, JobPosting, Seeker
from moderation.actions import intake

_TARGET_MODELS = {"posting": JobPosting, "employer": Employer, "seeker": Seeker}


@register("report.filed", stage=20)
def reports_filed(events: Sequence[Event]) -> BatchResult:
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        wanted[event.payload["target"]["kind"]].add(event.payload["target"]["id"])
    found: dict[tuple[str, str], Any] = {}
    for kind, ids in wanted.items():
        for target in _TARGET_MODELS[kind].objects.filter(external_id__in=sorted(ids)):
            found[(kind, target.external_id)] = target
    outcomes: dict[int, Outcome[Any]] = {}
    filings: list[intake.ReportFiling] = []
    filed: list[int] = []
    for index, event in enumerate(events):
        p = event.payload
        kind, external_id = p["target"]["kind"], p["target"]["id"]
        target = found.get((kind, external_id))
        if target is None:
            outcomes[index] = Outcome.parked(f"{kind}:{external_id}")
            continue
        filed.append(index)
        filings.append(
            intake.ReportFiling(
                actor=Actor.marketplace(event.source),
                external_id=p["report_id"],
                reporter_kind=p["reporter"]["kind"],
                reporter_external_id=p["reporter"]["id"],
                target=target,
                reason=p["reason"],
                text=p.get("text", ""),
                filed_at=event.occurred_at,
            )
        )
    for index, outcome in zip(filed, intake.reports_file(filings), strict=True):
        outcomes[index] = outcome
    return BatchResult.of((event, outcomes[i]) for i, event in enumerate(events))
