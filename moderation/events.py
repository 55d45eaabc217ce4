"""Handlers for the marketplace events moderation consumes: user reports."""

from __future__ import annotations

from backoffice.audit import Actor
from backoffice.events.registry import EntityMissingError, register
from backoffice.events.schemas import Event
from jobs.models import Employer, JobPosting, Seeker
from moderation import services

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
