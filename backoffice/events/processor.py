"""Applying a batch of marketplace events exactly once in effect, whatever the transport.

One database transaction per batch:

1. validate every item (bad input becomes a dead letter with its reason and raw text, never an exception);
2. **claim** the new events in the inbox with one ``INSERT … ON CONFLICT DO NOTHING RETURNING``: what another
   transaction already holds is a duplicate (a concurrent consumer holding the same event makes this one wait
   for its commit, then see the duplicate), so one event is applied by one transaction only;
3. apply: each app's **batch handler** takes all events of its types at once (a constant number of statements
   per batch, in its own savepoint; if it fails, that group falls back to the per-event handlers, each event
   in its own savepoint so one bad event costs only itself); types without one go through the per-event path;
4. events whose entity is not known yet are **parked** (and their inbox claim withdrawn), rejected ones are
   dead-lettered; parked events the batch made applicable are retried, also as a batch.

The caller acks (XACK / HTTP 200) only after this returns, i.e. after commit: a crash before that redelivers
the batch, and the inbox makes the redelivery harmless.

Infrastructure errors (database down, a deadlock) are *not* caught: the batch rolls back, nothing is acked,
and the transport retries. Only bad input becomes a dead letter.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone, translation

from backoffice.actions import error_message
from backoffice.events.registry import BatchHandler, handlers
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


def _provided_key(event: Event) -> str | None:
    provided = PROVIDES.get(event.type)
    if provided is None:
        return None
    kind, field = provided
    return f"{kind}:{event.payload[field]}"


def _identity(item: RawItem) -> tuple[str, str]:
    """(event_id, type) of an item that failed validation, when they can be read: dead letters are searched
    by them."""
    raw = item.raw
    if isinstance(raw, bytes | str):
        try:
            raw = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return "", ""
    if not isinstance(raw, Mapping):
        return "", ""
    return str(raw.get("event_id", ""))[:64], str(raw.get("type", ""))[:64]


def _claim(events: Sequence[tuple[Event, str]]) -> set[uuid.UUID]:
    """Insert inbox rows for (event, transport) pairs; returns the ids this transaction claimed (the others
    are already in the inbox, or were claimed by a transaction that committed meanwhile)."""
    if not events:
        return set()
    connection = connections[router.db_for_write(InboxEvent)]
    quote = connection.ops.quote_name
    fields = [
        InboxEvent._meta.get_field(name) for name in ("event_id", "type", "occurred_at", "received_at", "transport")
    ]
    now = timezone.now()
    params: list[Any] = []
    # Sorted: two transactions claiming overlapping events wait for each other in one order, never in a cycle.
    for event, transport in sorted(events, key=lambda pair: pair[0].event_id):
        for model_field, value in zip(
            fields, (event.event_id, event.type, event.occurred_at, now, transport), strict=True
        ):
            params.append(model_field.get_db_prep_value(value, connection))
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = f"ON CONFLICT ({quote('event_id')}) DO NOTHING RETURNING {quote('event_id')}"
    if connection.vendor == "postgresql":
        # One array per column: five parameters however many events (binding thousands costs more).
        arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
        sql = f"INSERT INTO {quote(InboxEvent._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) {conflict}"
        params = [params[i :: len(fields)] for i in range(len(fields))]
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        values = ", ".join([row] * len(events))
        sql = f"INSERT INTO {quote(InboxEvent._meta.db_table)} ({columns}) VALUES {values} {conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return {value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for (value,) in returned}


def _unclaim(event_ids: Iterable[uuid.UUID]) -> None:
    ids = list(event_ids)
    if ids:
        InboxEvent.objects.filter(event_id__in=ids).delete()


def _run(handler: BatchHandler, events: Sequence[Event]) -> dict[uuid.UUID, tuple[str, str]]:
    """Call a handler in its own savepoint; (status, detail) per event."""
    with transaction.atomic():
        outcome = handler(events)
    results: dict[uuid.UUID, tuple[str, str]] = {}
    for event in events:
        if event.event_id in outcome.parked:
            results[event.event_id] = (PARKED, outcome.parked[event.event_id])
        elif event.event_id in outcome.rejected:
            results[event.event_id] = (REJECTED, outcome.rejected[event.event_id])
        else:
            results[event.event_id] = (APPLIED, "")
    return results


def _apply_events(events: Sequence[Event]) -> dict[uuid.UUID, tuple[str, str]]:
    """(status, detail) per event id: APPLIED, PARKED (detail: the key it waits for) or REJECTED (reason).

    Each handler takes all of its types' events at once. If that raises (e.g. a concurrent consumer inserted
    the same new entity first), its savepoint rolls back and the same handler runs once per event, oldest
    first, each in its own savepoint: one bad event costs only itself, and a retry sees the other
    transaction's row."""
    results: dict[uuid.UUID, tuple[str, str]] = {}
    handled: set[uuid.UUID] = set()
    for registration in handlers():
        group = [event for event in events if event.type in registration.types]
        if not group:
            continue
        handled.update(event.event_id for event in group)
        try:
            results.update(_run(registration.handler, group))
            continue
        except (IntegrityError, ValidationError, ValueError) as exc:
            logger.warning(
                "events.batch_fallback types=%s count=%d error=%r",
                ",".join(sorted(registration.types)),
                len(group),
                exc,
            )
        for event in sorted(group, key=lambda e: e.occurred_at):
            for attempt in (1, 2):
                try:
                    results.update(_run(registration.handler, [event]))
                    break
                except IntegrityError as exc:
                    if attempt == 2:
                        results[event.event_id] = (REJECTED, f"database constraint: {exc}")
                except (ValidationError, ValueError) as exc:
                    results[event.event_id] = (REJECTED, error_message(exc))
                    break
    for event in events:
        if event.event_id not in handled:
            results[event.event_id] = (REJECTED, f"no handler for {event.type}")
    return results


def _parked_row(event: Event, key: str, transport: str, now: dt.datetime) -> ParkedEvent:
    return ParkedEvent(
        event_id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        waiting_for=key,
        envelope=_envelope(event),
        transport=transport,
        expires_at=now + _park_window(),
    )


def process_batch(items: Sequence[RawItem], *, transport: str, record_dead_letters: bool = True) -> list[Outcome]:
    """Apply a batch; returns one outcome per item, in input order. Raises only on infrastructure errors.

    ``record_dead_letters=False`` is for re-queueing a dead letter: a second failure is reported, not stored
    twice."""
    # Dead-letter reasons are read by staff in the product's language, whichever transport or worker applied
    # the event (an HTTP request's language must not decide what a stream consumer would have written).
    with translation.override(settings.LANGUAGE_CODE):
        return _process_batch(items, transport=transport, record_dead_letters=record_dead_letters)


def _process_batch(items: Sequence[RawItem], *, transport: str, record_dead_letters: bool) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    events: list[tuple[int, Event]] = []
    dead: list[DeadLetter] = []
    for index, item in enumerate(items):
        try:
            events.append((index, _decode_item(item)))
        except EventValidationError as exc:
            event_id, event_type = _identity(item)
            outcomes[index] = Outcome(item.ref, REJECTED, event_id, str(exc))
            dead.append(
                DeadLetter(
                    event_id=event_id,
                    type=event_type,
                    reason=str(exc),
                    raw=_raw_text(item.raw),
                    transport=transport,
                    source_ref=item.ref[:64],
                )
            )

    with transaction.atomic():
        ids = [event.event_id for _, event in events]
        parked_already = set(ParkedEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        first: dict[uuid.UUID, tuple[int, Event]] = {}
        for index, event in events:
            if event.event_id in parked_already or event.event_id in first:
                outcomes[index] = Outcome(items[index].ref, DUPLICATE, str(event.event_id))
            else:
                first[event.event_id] = (index, event)
        claimed = _claim([(event, transport) for _, event in first.values()])
        fresh: list[Event] = []
        for event_id, (index, event) in first.items():
            if event_id in claimed:
                fresh.append(event)
            else:
                outcomes[index] = Outcome(items[index].ref, DUPLICATE, str(event_id))

        results = _apply_events(fresh)
        now = timezone.now()
        parked: list[ParkedEvent] = []
        provided: set[str] = set()
        for event_id, (index, event) in first.items():
            if event_id not in claimed:
                continue
            status, detail = results[event_id]
            ref = items[index].ref
            outcomes[index] = Outcome(ref, status, str(event_id), detail)
            if status == APPLIED:
                key = _provided_key(event)
                if key:
                    provided.add(key)
            elif status == PARKED:
                parked.append(_parked_row(event, detail, transport, now))
            else:
                dead.append(
                    DeadLetter(
                        event_id=str(event_id),
                        type=event.type,
                        reason=detail,
                        raw=_raw_text(items[index].raw),
                        transport=transport,
                        source_ref=ref[:64],
                    )
                )
        # Parked and rejected events are not consumed: their inbox claim goes, so a later delivery (or the
        # retry of the parked row) can apply them.
        _unclaim(event_id for event_id, (status, _detail) in results.items() if status != APPLIED)
        # ignore_conflicts: a concurrent consumer handed the same event may have parked it first.
        ParkedEvent.objects.bulk_create(parked, ignore_conflicts=True)
        if record_dead_letters:
            DeadLetter.objects.bulk_create(dead)
        if provided:
            retry_parked(keys=provided)
    return [outcomes[i] for i in range(len(items))]


def retry_parked(*, keys: Iterable[str] | None = None, limit: int = 500, rounds: int = 20) -> int:
    """Apply parked events whose entity has arrived, as batches; returns how many were applied.

    Applying some provides entities others wait for in turn (an application, then its status change): those
    are retried in the next round, up to ``rounds``. Rows another transaction is retrying are skipped."""
    applied = 0
    wanted = None if keys is None else set(keys)
    with transaction.atomic():
        for _round in range(rounds):
            rows = ParkedEvent.objects.select_for_update(skip_locked=True).order_by("occurred_at")
            if wanted is not None:
                rows = rows.filter(waiting_for__in=sorted(wanted))
            batch = list(rows[:limit])
            if not batch:
                break
            applied_now, wanted = _retry_rows(batch)
            applied += applied_now
            if not wanted:
                break
    return applied


def _retry_rows(rows: Sequence[ParkedEvent]) -> tuple[int, set[str]]:
    """Retry parked rows as one batch: (applied, keys the applied events provide)."""
    events: dict[uuid.UUID, tuple[ParkedEvent, Event]] = {}
    for row in rows:
        try:
            events[row.event_id] = (row, validate(row.envelope))
        except EventValidationError as exc:
            DeadLetter.objects.create(
                event_id=str(row.event_id),
                type=row.type,
                reason=f"parked envelope no longer valid: {exc}",
                raw=json.dumps(row.envelope, ensure_ascii=False),
                transport=row.transport,
            )
            row.delete()
    claimed = _claim([(event, row.transport) for row, event in events.values()])
    # Already applied (a redelivery raced the original): the parked copy is a stale duplicate.
    ParkedEvent.objects.filter(
        pk__in=[row.pk for event_id, (row, _e) in events.items() if event_id not in claimed]
    ).delete()
    results = _apply_events([event for event_id, (_row, event) in events.items() if event_id in claimed])
    done: list[int] = []
    waiting: list[ParkedEvent] = []
    dead: list[DeadLetter] = []
    unclaim: list[uuid.UUID] = []
    provided: set[str] = set()
    applied = 0
    for event_id, (status, detail) in results.items():
        row, event = events[event_id]
        if status == APPLIED:
            done.append(row.pk)
            applied += 1
            key = _provided_key(event)
            if key:
                provided.add(key)
        elif status == PARKED:
            row.waiting_for = detail
            row.attempts += 1
            waiting.append(row)
            unclaim.append(event_id)
        else:
            dead.append(
                DeadLetter(
                    event_id=str(event_id),
                    type=event.type,
                    reason=detail,
                    raw=json.dumps(row.envelope, ensure_ascii=False),
                    transport=row.transport,
                )
            )
            done.append(row.pk)
            unclaim.append(event_id)
    _unclaim(unclaim)
    ParkedEvent.objects.filter(pk__in=done).delete()
    ParkedEvent.objects.bulk_update(waiting, ["waiting_for", "attempts"])
    DeadLetter.objects.bulk_create(dead)
    return applied, provided


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
