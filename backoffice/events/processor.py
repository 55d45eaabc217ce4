"""Applying a batch of marketplace events exactly once in effect, whatever the transport.

One database transaction per batch: validate → drop duplicates (inbox) → apply in ``occurred_at`` order
(each event in a savepoint, so one bad event costs only itself) → park events whose entity is unknown yet →
record inbox rows and dead letters in bulk → retry parked events the batch made applicable. The caller acks
(XACK / HTTP 200) only after this returns, i.e. after commit: a crash before that redelivers the batch, and
the inbox makes the redelivery harmless.

Infrastructure errors (database down) are *not* caught: the batch rolls back, nothing is acked, and the
transport retries. Only bad input becomes a dead letter.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.events.registry import EntityMissingError, handler_for
from backoffice.events.schemas import MAX_EVENT_BYTES, Event, EventValidationError, decode, validate
from backoffice.models import DeadLetter, InboxEvent, ParkedEvent

logger = logging.getLogger(__name__)

APPLIED, DUPLICATE, PARKED, REJECTED = "applied", "duplicate", "parked", "rejected"

# The entity each event type makes known: parked events waiting for it are retried after it is applied.
PROVIDES: Mapping[str, tuple[str, str]] = {
    "employer.registered": ("employer", "employer_id"),
    "seeker.registered": ("seeker", "seeker_id"),
    "posting.created": ("posting", "posting_id"),
    "posting.updated": ("posting", "posting_id"),
    "application.submitted": ("application", "application_id"),
}


@dataclass(frozen=True)
class RawItem:
    """One event as received: bytes/text (stream) or an already-decoded JSON value (HTTP batch)."""

    raw: bytes | str | Any
    ref: str = ""


@dataclass(frozen=True)
class Outcome:
    ref: str
    status: str
    event_id: str = ""
    error: str = ""


def _park_window() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "EVENTS_PARK_SECONDS", 3600))


def _raw_text(raw: Any) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        return raw
    try:
        return json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(raw)


def _decode_item(item: RawItem) -> Event:
    if isinstance(item.raw, bytes | str):
        return validate(decode(item.raw))
    text = _raw_text(item.raw)
    if len(text.encode("utf-8")) > MAX_EVENT_BYTES:
        raise EventValidationError(f"event is over the 64 KiB limit ({len(text.encode('utf-8'))} bytes)")
    if not isinstance(item.raw, Mapping):
        raise EventValidationError("an event must be a JSON object")
    return validate(item.raw)


def _envelope(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "source": event.source,
        "payload": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in event.payload.items()},
    }


def _apply_one(event: Event) -> tuple[str, str]:
    """(status, detail) for one event, inside its own savepoint."""
    handler = handler_for(event.type)
    if handler is None:
        return REJECTED, f"no handler for {event.type}"
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                handler(event)
            return APPLIED, ""
        except EntityMissingError as missing:
            return PARKED, missing.key
        except IntegrityError as exc:
            # Usually a concurrent consumer inserted the same entity first: the retry sees it and updates.
            if attempt == 2:
                return REJECTED, f"database constraint: {exc}"
        except (ValidationError, EventValidationError, ValueError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            return REJECTED, "; ".join(str(m) for m in messages)
    return REJECTED, "unreachable"


def _provided_key(event: Event) -> str | None:
    provided = PROVIDES.get(event.type)
    if provided is None:
        return None
    kind, field = provided
    return f"{kind}:{event.payload[field]}"


def process_batch(items: Sequence[RawItem], *, transport: str, record_dead_letters: bool = True) -> list[Outcome]:
    """Apply a batch; returns one outcome per item, in input order. Raises only on infrastructure errors.

    ``record_dead_letters=False`` is for re-queueing a dead letter: a second failure is reported, not stored
    twice."""
    outcomes: dict[int, Outcome] = {}
    events: list[tuple[int, Event]] = []
    dead: list[DeadLetter] = []
    for index, item in enumerate(items):
        try:
            events.append((index, _decode_item(item)))
        except EventValidationError as exc:
            event_id = item.raw.get("event_id", "") if isinstance(item.raw, Mapping) else ""
            outcomes[index] = Outcome(item.ref, REJECTED, str(event_id)[:64], str(exc))
            dead.append(
                DeadLetter(
                    event_id=str(event_id)[:64],
                    type=str(item.raw.get("type", ""))[:64] if isinstance(item.raw, Mapping) else "",
                    reason=str(exc),
                    raw=_raw_text(item.raw),
                    transport=transport,
                    source_ref=item.ref[:64],
                )
            )

    with transaction.atomic():
        ids = [event.event_id for _, event in events]
        known = set(InboxEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        known |= set(ParkedEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        inbox: list[InboxEvent] = []
        provided: set[str] = set()
        now = timezone.now()
        # Oldest first: a create sorts before its update even when they arrive the other way round.
        for index, event in sorted(events, key=lambda pair: (pair[1].occurred_at, pair[0])):
            ref = items[index].ref
            if event.event_id in known:
                outcomes[index] = Outcome(ref, DUPLICATE, str(event.event_id))
                continue
            known.add(event.event_id)
            status, detail = _apply_one(event)
            if status == APPLIED:
                inbox.append(
                    InboxEvent(
                        event_id=event.event_id, type=event.type, occurred_at=event.occurred_at, transport=transport
                    )
                )
                key = _provided_key(event)
                if key:
                    provided.add(key)
                outcomes[index] = Outcome(ref, APPLIED, str(event.event_id))
            elif status == PARKED:
                ParkedEvent.objects.create(
                    event_id=event.event_id,
                    type=event.type,
                    occurred_at=event.occurred_at,
                    waiting_for=detail,
                    envelope=_envelope(event),
                    transport=transport,
                    expires_at=now + _park_window(),
                )
                outcomes[index] = Outcome(ref, PARKED, str(event.event_id), detail)
            else:
                dead.append(
                    DeadLetter(
                        event_id=str(event.event_id),
                        type=event.type,
                        reason=detail,
                        raw=_raw_text(items[index].raw),
                        transport=transport,
                        source_ref=ref[:64],
                    )
                )
                outcomes[index] = Outcome(ref, REJECTED, str(event.event_id), detail)
        InboxEvent.objects.bulk_create(inbox)
        if record_dead_letters:
            DeadLetter.objects.bulk_create(dead)
        if provided:
            retry_parked(keys=provided)
    return [outcomes[i] for i in range(len(items))]


def retry_parked(*, keys: Iterable[str] | None = None, limit: int = 500) -> int:
    """Apply parked events whose entity has arrived; returns how many were applied."""
    parked = ParkedEvent.objects.select_for_update(skip_locked=True).order_by("occurred_at")
    if keys is not None:
        parked = parked.filter(waiting_for__in=list(keys))
    applied = 0
    with transaction.atomic():
        for row in list(parked[:limit]):
            # A nested retry (a chain: application, then its status change) may have applied this row already.
            if not ParkedEvent.objects.filter(pk=row.pk).exists():
                continue
            if InboxEvent.objects.filter(event_id=row.event_id).exists():
                row.delete()
                continue
            event = validate(row.envelope)
            status, detail = _apply_one(event)
            if status == APPLIED:
                InboxEvent.objects.create(
                    event_id=event.event_id, type=event.type, occurred_at=event.occurred_at, transport=row.transport
                )
                row.delete()
                applied += 1
                key = _provided_key(event)
                if key:
                    # Something may have been waiting for this one in turn (an application for a parked posting).
                    applied += retry_parked(keys=[key], limit=limit)
            elif status == PARKED:
                row.waiting_for = detail
                row.attempts += 1
                row.save(update_fields=["waiting_for", "attempts"])
            else:
                DeadLetter.objects.create(
                    event_id=str(event.event_id),
                    type=event.type,
                    reason=detail,
                    raw=json.dumps(row.envelope, ensure_ascii=False),
                    transport=row.transport,
                )
                row.delete()
    return applied


def expire_parked(*, now: dt.datetime | None = None) -> int:
    """Dead-letter parked events whose entity never arrived within the wait (a bounded wait, not forever)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        retry_parked()
        for row in ParkedEvent.objects.select_for_update(skip_locked=True).filter(expires_at__lte=now)[:1000]:
            DeadLetter.objects.create(
                event_id=str(row.event_id),
                type=row.type,
                reason=f"{row.waiting_for} never arrived (waited since {row.parked_at:%Y-%m-%d %H:%M:%S} UTC)",
                raw=json.dumps(row.envelope, ensure_ascii=False),
                transport=row.transport,
            )
            row.delete()
            expired += 1
    return expired
