"""Handlers for the marketplace events the jobs app consumes (EVENTS.md). Thin: payloads become action
items, one list-shaped action per type does the rest (``jobs.actions``), and its outcomes say what was parked
(an entity not known yet) or rejected. A batch of any size, or of one (the processor's fallback), goes
through the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

from backoffice.audit import Actor
from backoffice.events.registry import BatchResult, register
from backoffice.events.schemas import Event
from jobs.actions import accounts, applications, postings
from jobs.actions.common import POSTING_CONTENT_FIELDS
from jobs.models import PostingStatus


def _actor(event: Event) -> Actor:
    return Actor.marketplace(event.source)


@register("employer.registered", stage=10)
def employers_registered(events: Sequence[Event]) -> BatchResult:
    items = [
        accounts.EmployerUpsert(
            actor=_actor(e),
            external_id=e.payload["employer_id"],
            business_name=e.payload["business_name"],
            business_number=e.payload.get("business_number") or "",
            phone=e.payload["phone"],
            region_code=e.payload["region_code"],
            verified=e.payload["verified"],
            occurred_at=e.occurred_at,
        )
        for e in events
    ]
    return BatchResult.of(zip(events, accounts.employers_upsert(items), strict=True))


@register("seeker.registered", stage=11)
def seekers_registered(events: Sequence[Event]) -> BatchResult:
    items = [
        accounts.SeekerUpsert(
            actor=_actor(e),
            external_id=e.payload["seeker_id"],
            display_name=e.payload["display_name"],
            phone=e.payload["phone"],
            birth_year=e.payload.get("birth_year"),
            region_code=e.payload["region_code"],
            occurred_at=e.occurred_at,
        )
        for e in events
    ]
    return BatchResult.of(zip(events, accounts.seekers_upsert(items), strict=True))


def _posting_values(p: dict) -> dict:  # type: ignore[type-arg]
    values = {name: p.get(name) for name in POSTING_CONTENT_FIELDS if name not in ("wage_type", "wage_amount")}
    values["wage_type"] = p["wage"]["type"]
    values["wage_amount"] = p["wage"]["amount"]
    return values


@register("posting.created", "posting.updated", stage=12)
def postings_saved(events: Sequence[Event]) -> BatchResult:
    """Created and updated carry the whole posting, so either creates it when unknown: an update that
    overtakes its create is applied, and the late create is then older and changes nothing."""
    items = [
        postings.PostingSave(
            actor=_actor(e),
            external_id=e.payload["posting_id"],
            employer_external_id=e.payload["employer_id"],
            values=_posting_values(dict(e.payload)),
            occurred_at=e.occurred_at,
            # The contract allows what the policy dislikes (e.g. part-time without weekly hours): keep the
            # event, let screening flag it.
            enforce_policy=False,
        )
        for e in events
    ]
    return BatchResult.of(zip(events, postings.postings_save(items), strict=True))


@register("posting.closed", stage=13)
def postings_closed(events: Sequence[Event]) -> BatchResult:
    items = [
        postings.PostingStatusChange(
            actor=_actor(e),
            external_id=e.payload["posting_id"],
            status=PostingStatus.CLOSED,
            close_reason=e.payload["reason"],
            at=e.occurred_at,
            note="marketplace",
        )
        for e in events
    ]
    return BatchResult.of(zip(events, postings.postings_change_status(items), strict=True))


@register("application.submitted", stage=14)
def applications_submitted(events: Sequence[Event]) -> BatchResult:
    items = [
        applications.ApplicationSubmit(
            actor=_actor(e),
            external_id=e.payload["application_id"],
            posting_external_id=e.payload["posting_id"],
            seeker_external_id=e.payload["seeker_id"],
            message=e.payload.get("message", ""),
            submitted_at=e.occurred_at,
        )
        for e in events
    ]
    return BatchResult.of(zip(events, applications.applications_submit(items), strict=True))


@register("application.status_changed", stage=15)
def applications_status_changed(events: Sequence[Event]) -> BatchResult:
    items = [
        applications.ApplicationStatusChange(
            actor=_actor(e), external_id=e.payload["application_id"], status=e.payload["status"], at=e.occurred_at
        )
        for e in events
    ]
    return BatchResult.of(zip(events, applications.applications_change_status(items), strict=True))
