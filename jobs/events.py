"""Handlers for the marketplace events the jobs app consumes (EVENTS.md). Thin: look up, call one service.

The consumer applies batches with ``apply_batch`` (``jobs.ingest``: every jobs event of the batch with a
constant number of statements); the per-event handlers below are the path for a batch that fails as a whole
(each event then alone, in its own savepoint) and the reference the batch path is tested against.

A handler raises ``EntityMissingError`` when the event refers to something not known yet, and the processor
parks it until that arrives. ``occurred_at`` goes to the services, which ignore events older than the state
they already hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from backoffice.audit import Actor
from backoffice.events.registry import BatchResult, EntityMissingError, register, register_batch
from backoffice.events.schemas import Event
from jobs import ingest, services
from jobs.models import Application, Employer, JobPosting, PostingStatus, Seeker


def _actor(event: Event) -> Actor:
    return Actor.marketplace(event.source)


def _employer(external_id: str) -> Employer:
    employer = Employer.objects.filter(external_id=external_id).first()
    if employer is None:
        raise EntityMissingError(f"employer:{external_id}")
    return employer


def _posting(external_id: str) -> JobPosting:
    posting = JobPosting.objects.filter(external_id=external_id).first()
    if posting is None:
        raise EntityMissingError(f"posting:{external_id}")
    return posting


def _seeker(external_id: str) -> Seeker:
    seeker = Seeker.objects.filter(external_id=external_id).first()
    if seeker is None:
        raise EntityMissingError(f"seeker:{external_id}")
    return seeker


@register("employer.registered")
def employer_registered(event: Event) -> None:
    p = event.payload
    services.employer_upsert(
        actor=_actor(event),
        external_id=p["employer_id"],
        business_name=p["business_name"],
        business_number=p.get("business_number", ""),
        phone=p["phone"],
        region_code=p["region_code"],
        verified=p["verified"],
        occurred_at=event.occurred_at,
    )


@register("seeker.registered")
def seeker_registered(event: Event) -> None:
    p = event.payload
    services.seeker_upsert(
        actor=_actor(event),
        external_id=p["seeker_id"],
        display_name=p["display_name"],
        phone=p["phone"],
        birth_year=p.get("birth_year"),
        region_code=p["region_code"],
        occurred_at=event.occurred_at,
    )


def _posting_fields(p: dict) -> dict:  # type: ignore[type-arg]
    return {
        "title": p["title"],
        "description": p["description"],
        "employment_type": p["employment_type"],
        "wage_type": p["wage"]["type"],
        "wage_amount": p["wage"]["amount"],
        "hours_per_week": p.get("hours_per_week"),
        "region_code": p["region_code"],
        "category": p["category"],
        "starts_on": p.get("starts_on"),
        "ends_on": p.get("ends_on"),
    }


@register("posting.created", "posting.updated")
def posting_saved(event: Event) -> None:
    """Created and updated carry the whole posting, so either creates it when unknown: an update that
    overtakes its create is applied, and the late create is then older and changes nothing."""
    p = dict(event.payload)
    existing = JobPosting.objects.filter(external_id=p["posting_id"]).first()
    fields = _posting_fields(p)
    if existing is None:
        services.posting_create(
            actor=_actor(event),
            employer=_employer(p["employer_id"]),
            external_id=p["posting_id"],
            occurred_at=event.occurred_at,
            # The contract allows what the policy dislikes (e.g. part-time without weekly hours): keep the
            # event, let screening flag it.
            enforce_policy=False,
            **fields,
        )
        return
    services.posting_update(
        actor=_actor(event), posting=existing, changes=fields, occurred_at=event.occurred_at, enforce_policy=False
    )


@register("posting.closed")
def posting_closed(event: Event) -> None:
    posting = _posting(event.payload["posting_id"])
    if posting.status == PostingStatus.CLOSED:
        return
    services.posting_close(
        actor=_actor(event), posting=posting, reason=event.payload["reason"], at=event.occurred_at, note="marketplace"
    )


@register("application.submitted")
def application_submitted(event: Event) -> None:
    p = event.payload
    services.application_submit(
        actor=_actor(event),
        posting=_posting(p["posting_id"]),
        seeker=_seeker(p["seeker_id"]),
        external_id=p["application_id"],
        message=p.get("message", ""),
        submitted_at=event.occurred_at,
    )


@register("application.status_changed")
def application_status_changed(event: Event) -> None:
    application = Application.objects.filter(external_id=event.payload["application_id"]).first()
    if application is None:
        raise EntityMissingError(f"application:{event.payload['application_id']}")
    services.application_change_status(
        actor=_actor(event), application=application, status=event.payload["status"], at=event.occurred_at
    )


@register_batch(*ingest.HANDLED_TYPES, stage=10)
def apply_batch(events: Sequence[Event]) -> BatchResult:
    return ingest.apply_events(events)
