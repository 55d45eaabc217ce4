"""Handlers for the marketplace events moderation consumes: user reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from backoffice.audit import Actor
from backoffice.events.registry import BatchResult, EntityMissingError, register, register_batch
from backoffice.events.schemas import Event
from jobs.models import Employer, JobPosting, Seeker
from moderation import intake, services

_TARGET_MODELS = {"posting": JobPosting, "employer": Employer, "seeker": Seeker}


@register("report.filed")
def report_filed(event: Event) -> None:
    p = event.payload
    kind, external_id = p["target"]["kind"], p["target"]["id"]
    target = _TARGET_MODELS[kind].objects.filter(external_id=external_id).first()
    if target is None:
        raise EntityMissingError(f"{kind}:{external_id}")
    services.report_file(
        actor=Actor.marketplace(event.source),
        external_id=p["report_id"],
        reporter_kind=p["reporter"]["kind"],
        reporter_external_id=p["reporter"]["id"],
        target=target,
        reason=p["reason"],
        text=p.get("text", ""),
        filed_at=event.occurred_at,
    )


@register_batch("report.filed", stage=20)
def reports_filed(events: Sequence[Event]) -> BatchResult:
    """All of a batch's reports at once (``intake.reports_file_many``); targets resolved with one query per
    kind. Runs after the jobs stage, so targets the same batch registers are found."""
    result = BatchResult()
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        wanted[event.payload["target"]["kind"]].add(event.payload["target"]["id"])
    found: dict[tuple[str, str], Any] = {}
    for kind, ids in wanted.items():
        for target in _TARGET_MODELS[kind].objects.filter(external_id__in=ids):
            found[(kind, target.external_id)] = target
    filings: list[intake.ReportFiling] = []
    for event in sorted(events, key=lambda e: e.occurred_at):
        p = event.payload
        kind, external_id = p["target"]["kind"], p["target"]["id"]
        target = found.get((kind, external_id))
        if target is None:
            result.parked[event.event_id] = f"{kind}:{external_id}"
            continue
        filings.append(
            intake.ReportFiling(
                event_id=event.event_id,
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
    result.rejected.update(intake.reports_file_many(filings))
    return result
