"""Writing to the outbox. Services call ``outbox_emit`` inside their own transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.utils import timezone

from backoffice.audit import json_safe
from backoffice.models import OutboxEvent

# Emitted event types and their required payload fields (EVENTS.md, "Emitted").
EMITTED_SCHEMAS: Mapping[str, frozenset[str]] = {
    "posting.moderated": frozenset({"posting_id", "status", "reason_code", "decided_by", "case_id"}),
    "sanction.applied": frozenset({"subject", "sanction"}),
    "report.resolved": frozenset({"report_id", "outcome"}),
    "employer.reminder": frozenset(
        {"employer_id", "posting_id", "application_ids", "application_count", "oldest_submitted_at"}
    ),
}


class OutboxError(RuntimeError):
    pass


def outbox_emit(*, type: str, payload: Mapping[str, Any], occurred_at: dt.datetime | None = None) -> OutboxEvent:
    """Queue one event for the marketplace. Must run inside the transaction of the change it announces."""
    if not connection.in_atomic_block:
        # Outside a transaction the event could commit without its change (or the reverse).
        raise OutboxError("outbox_emit must be called inside the transaction of the change it announces")
    required = EMITTED_SCHEMAS.get(type)
    if required is None:
        raise OutboxError(f"Unknown emitted event type {type!r}")
    missing = required - set(payload)
    if missing:
        raise OutboxError(f"{type} payload lacks {', '.join(sorted(missing))}")
    return OutboxEvent.objects.create(
        event_id=uuid.uuid4(), type=type, payload=json_safe(dict(payload)), occurred_at=occurred_at or timezone.now()
    )
