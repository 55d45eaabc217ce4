"""What the jobs actions share: row tracking for set-based writes, staleness, field validation, announcements.

Every action follows one order (after Zulip's actions, for a list): lock the rows the items name in one
statement per table, in id order (two batches wait for each other instead of deadlocking) → check and change
each item in memory, oldest ``occurred_at`` first → write new rows with one INSERT and changed rows with one
UPDATE per set of fields → one INSERT of the audit rows → announce after commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from backoffice.actions import DomainError, as_domain_error
from backoffice.audit import Actor, audit_entry, audit_record_many
from backoffice.bulk import bulk_update_rows
from backoffice.models import AuditLog
from jobs.models import JobPosting
from jobs.signals import posting_changed

M = TypeVar("M", bound=models.Model)


class PostingChange(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"


EMPLOYER_FIELDS = ("business_name", "business_number", "phone", "region_code", "verification_status")
SEEKER_FIELDS = ("display_name", "phone", "birth_year", "region_code")
POSTING_CONTENT_FIELDS = (
    "title",
    "description",
    "employment_type",
    "wage_type",
    "wage_amount",
    "hours_per_week",
    "region_code",
    "category",
    "starts_on",
    "ends_on",
)
POSTING_STATUS_FIELDS = ("status", "published_at", "expires_at", "closed_at", "close_reason")
ACCOUNT_FIELDS = ("account_status", "suspended_until")


def is_stale(current: dt.datetime | None, occurred_at: dt.datetime | None) -> bool:
    """True when an event is older than the state already applied (it must not overwrite newer state)."""
    return occurred_at is not None and current is not None and occurred_at < current


def by_occurrence(items: Iterable[Any], at: Callable[[Any], dt.datetime | None]) -> list[int]:
    """Indexes of ``items`` oldest first (items without a time keep their place after the timed ones of the
    same call): a create sorts before its update even when they arrive the other way round."""
    listed = list(items)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(range(len(listed)), key=lambda i: (at(listed[i]) or far, i))


def clean_fields(instance: models.Model, exclude: tuple[str, ...] = ()) -> None:
    """Field validators (10-digit region codes, choices, lengths) for every entry point, as a ``DomainError``.

    Model constraints are not validated here: Django checks each CheckConstraint with its own query, which at
    thousands of events a second is most of the cost; the database enforces them anyway, and the ones a
    caller can break (dates) are checked by the actions with a readable message."""
    try:
        instance.clean_fields(exclude=list(exclude))
    except ValidationError as exc:
        raise as_domain_error(exc) from exc


def locked_by(model: type[M], field: str, keys: Iterable[Any]) -> dict[Any, M]:
    """Rows whose ``field`` is in ``keys``, locked ``FOR NO KEY UPDATE`` in id order (the same order in every
    batch, so concurrent batches wait instead of deadlocking; ``NO KEY`` leaves foreign-key checks of
    concurrent inserts unblocked)."""
    wanted = sorted({key for key in keys if key not in (None, "")})
    if not wanted:
        return {}
    rows = model._default_manager.select_for_update(no_key=True).filter(**{f"{field}__in": wanted}).order_by("pk")
    return {getattr(row, field): row for row in rows}


class Tracked(Generic[M]):
    """The rows an action works on: new ones (inserted together) and loaded ones with their changed fields."""

    def __init__(self) -> None:
        self.new: list[M] = []
        self._dirty: dict[int, tuple[M, set[str]]] = {}

    def add(self, row: M) -> None:
        self.new.append(row)

    def touch(self, row: M, *fields: str) -> None:
        if row._state.adding:
            return  # inserted with its final values
        entry = self._dirty.setdefault(id(row), (row, set()))
        entry[1].update(fields)

    def write(self, model: type[M], now: dt.datetime | None = None) -> None:
        if self.new:
            model._default_manager.bulk_create(self.new, batch_size=1000)
            for row in self.new:
                row._state.adding = False
        by_fields: dict[frozenset[str], list[M]] = defaultdict(list)
        for row, fields in self._dirty.values():
            by_fields[frozenset(fields)].append(row)
        stamp = now or timezone.now()
        has_updated_at = any(f.name == "updated_at" for f in model._meta.concrete_fields)
        for fields, rows in by_fields.items():
            names = set(fields)
            if has_updated_at:
                names.add("updated_at")
                for row in rows:
                    row.updated_at = stamp  # type: ignore[attr-defined]
            bulk_update_rows(model, rows, sorted(names))
        self.new, self._dirty = [], {}


class Audits:
    """Audit rows of one action call, built after the writes (new targets have their pk by then) and saved
    with one INSERT (COPY on PostgreSQL)."""

    def __init__(self) -> None:
        self._builders: list[Callable[[], AuditLog]] = []

    def add(self, *, actor: Actor, action: str, target: models.Model, **kwargs: Any) -> None:
        self._builders.append(lambda: audit_entry(actor=actor, action=action, target=target, **kwargs))

    def write(self) -> None:
        audit_record_many(build() for build in self._builders)
        self._builders = []


def announce_postings(changes: Iterable[tuple[JobPosting, PostingChange, dict[str, Any]]]) -> None:
    """``posting_changed`` after commit for each change, in order (moderation screens created and updated
    postings; the ingestion consumer collects them and screens a batch at once)."""
    for posting, change, extra in changes:
        posting_id = posting.pk

        def send(posting_id: int = posting_id, change: PostingChange = change, extra: dict[str, Any] = extra) -> None:
            posting_changed.send(sender=JobPosting, posting_id=posting_id, change=change, **extra)

        transaction.on_commit(send)


def reject_unknown_fields(values: Iterable[str], allowed: tuple[str, ...]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise DomainError(f"Not editable here: {', '.join(sorted(unknown))}.")
