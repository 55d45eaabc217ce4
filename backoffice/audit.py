"""The audit service: every state change in every app records one row through ``audit_record``.

Services call it inside their transaction, after the change, so the row commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from backoffice.bulk import copy_rows
from backoffice.context import get_request_id
from backoffice.models import ActorKind, AuditLog

REDACTED = "«redacted»"


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, an API client, a marketplace event, or the system itself."""

    kind: ActorKind
    user: AbstractBaseUser | None = None
    label: str = ""

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> Actor:
        return cls(kind=ActorKind.STAFF, user=user, label=user.get_username())

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def marketplace(cls, source: str = "marketplace") -> Actor:
        return cls(kind=ActorKind.MARKETPLACE, label=source)

    @classmethod
    def api(cls, client_name: str, user: AbstractBaseUser | None = None) -> Actor:
        return cls(kind=ActorKind.API, user=user, label=client_name)

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM


@dataclass(frozen=True)
class Change:
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


def json_safe(value: Any) -> Any:
    """Audit values are stored as JSON; keep them readable rather than opaque reprs."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of ``fields`` (foreign keys by id) for a before/after comparison."""
    values: dict[str, Any] = {}
    for name in fields:
        model_field = instance._meta.get_field(name)
        attname = getattr(model_field, "attname", name)
        values[name] = json_safe(getattr(instance, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        old, new = json_safe(before.get(key)), json_safe(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def _redact(target: models.Model | None, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    # Personal data (names, phones, messages) must not outlive the retention period, and the audit log can
    # never be edited: so such values never enter it. The row still shows *that* the field changed.
    redacted_fields = set(getattr(type(target), "AUDIT_REDACTED_FIELDS", ())) if target is not None else set()
    return {
        name: ([REDACTED if v not in (None, "") else v for v in values] if name in redacted_fields else values)
        for name, values in changes.items()
    }


def audit_entry(
    *,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> AuditLog:
    """One audit row, not saved yet: ``audit_record`` saves it at once, batch services collect many and
    save them with ``audit_record_many``. Values of ``before``/``after`` that are model instances are read
    (as their pk) here, so a batch can build its rows after inserting the targets."""
    changes = _redact(target, diff(before or {}, after or {}))
    target_type = target_id = target_repr = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:200]
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    return AuditLog(
        actor=user,
        actor_kind=actor.kind,
        actor_label=(actor.label or (user.get_username() if user else actor.kind))[:150],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        changes=changes,
        note=note,
        request_id=get_request_id(),
        metadata=json_safe(dict(metadata or {})),
    )


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row. ``before``/``after`` are reduced to the fields that actually changed."""
    entry = audit_entry(
        actor=actor, action=action, target=target, before=before, after=after, note=note, metadata=metadata
    )
    entry.save()
    return entry


def audit_record_many(entries: Iterable[AuditLog]) -> list[AuditLog]:
    """Append many rows built by ``audit_entry`` at once (the ingestion batches' audit trail): COPY on
    PostgreSQL. The returned rows have no pk (nobody reads it back)."""
    rows = list(entries)
    copy_rows(AuditLog, rows)
    return rows
