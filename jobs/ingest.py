"""Set-based writes for a batch of marketplace events: the ingestion path's services.

``jobs.services`` applies one event with a dozen statements (look up, lock, check, write, count, audit); at
thousands of events a second that is the whole budget several times over. This module applies every jobs
event of a consumer batch with a constant number of statements, whatever the batch size, and the same rules
as those services (they stay the reference, and the fallback when a batch fails):

1. **Lock up front, in one order.** One ``SELECT … FOR NO KEY UPDATE ORDER BY id`` per table (employers,
   seekers, postings, applications) for every row the batch names. Every batch takes its row locks in that
   order, so two consumers wait for each other instead of deadlocking; ``NO KEY`` leaves foreign-key checks
   of concurrent inserts unblocked.
2. **Apply in memory**, by kind (registrations, postings, closures, applications, status changes), each kind
   in ``occurred_at`` order: the newest ``occurred_at`` wins (``source_updated_at``), an event for an entity
   neither in the database nor in the batch is parked, one that breaks a field rule is rejected alone.
3. **Write in bulk:** ``bulk_create`` for new rows, ``bulk_update`` per set of changed fields, counters
   (applications per posting, first application time, seekers' last activity) as absolute values computed
   from the locked rows, and one INSERT for the batch's audit rows.

Postings created or changed are announced after commit like the per-event services do (``posting_changed``),
so the consumer's ``screening_deferred`` screens them as one batch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from backoffice.audit import Actor, audit_entry, audit_record_many, snapshot
from backoffice.bulk import bulk_update_rows
from backoffice.events.registry import BatchResult
from backoffice.events.schemas import Event
from backoffice.models import AuditLog
from jobs.models import (
    Application,
    ApplicationStatus,
    Employer,
    JobPosting,
    PostingStatus,
    Seeker,
    VerificationStatus,
)
from jobs.policies import can_transition_posting
from jobs.services import (
    _APPLICATION_STATUS_TIMESTAMP,
    EMPLOYER_FIELDS,
    POSTING_CONTENT_FIELDS,
    POSTING_STATUS_FIELDS,
    SEEKER_FIELDS,
    PostingChange,
    _is_stale,
)
from jobs.signals import posting_changed
from jobs.text import content_fingerprint

M = TypeVar("M", bound=models.Model)

# The kinds in the order they are applied: what later kinds refer to exists by then.
EMPLOYER_REGISTERED = "employer.registered"
SEEKER_REGISTERED = "seeker.registered"
POSTING_SAVED = ("posting.created", "posting.updated")
POSTING_CLOSED = "posting.closed"
APPLICATION_SUBMITTED = "application.submitted"
APPLICATION_STATUS_CHANGED = "application.status_changed"
HANDLED_TYPES = (
    EMPLOYER_REGISTERED,
    SEEKER_REGISTERED,
    *POSTING_SAVED,
    POSTING_CLOSED,
    APPLICATION_SUBMITTED,
    APPLICATION_STATUS_CHANGED,
)


class _Rejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(str(m) for m in errors)}" for name, errors in exc.message_dict.items())
    return "; ".join(str(m) for m in exc.messages)


def _clean(instance: models.Model, exclude: tuple[str, ...] = ()) -> None:
    """Field validators, as ``jobs.services._full_clean`` (constraints are the database's job)."""
    try:
        instance.clean_fields(exclude=list(exclude))
    except ValidationError as exc:
        raise _Rejected(_messages(exc)) from exc


class _Tracked(Generic[M]):
    """Rows of one model by external id: loaded (locked) ones, new ones, and which fields changed."""

    def __init__(self, rows: Iterable[M]) -> None:
        self.by_key: dict[str, M] = {row.external_id: row for row in rows}  # type: ignore[attr-defined]
        self.new: list[M] = []
        self.dirty: dict[int, set[str]] = defaultdict(set)  # id(row) → changed fields, for loaded rows only
        self._rows: dict[int, M] = {}

    def get(self, key: str) -> M | None:
        return self.by_key.get(key)

    def add(self, row: M) -> None:
        self.by_key[row.external_id] = row  # type: ignore[attr-defined]
        self.new.append(row)

    def touch(self, row: M, *fields: str) -> None:
        if row._state.adding:
            return  # inserted with its final values
        self.dirty[id(row)].update(fields)
        self._rows[id(row)] = row

    def write(self, model: type[M]) -> None:
        if self.new:
            model.objects.bulk_create(self.new, batch_size=1000)
        by_fields: dict[frozenset[str], list[M]] = defaultdict(list)
        for key, fields in self.dirty.items():
            by_fields[frozenset(fields)].append(self._rows[key])
        now = timezone.now()
        for fields, rows in by_fields.items():
            names = sorted(fields | {"updated_at"})
            for row in rows:
                row.updated_at = now  # type: ignore[attr-defined]
            bulk_update_rows(model, rows, names)


def _locked(model: type[M], keys: Iterable[str]) -> list[M]:
    keys = sorted(set(keys))
    if not keys:
        return []
    # ORDER BY id: rows are locked in the order returned, the same order in every batch (no deadlocks).
    return list(model.objects.select_for_update(no_key=True).filter(external_id__in=keys).order_by("pk"))


class _JobsBatch:
    def __init__(self, events: Sequence[Event]) -> None:
        self.result = BatchResult()
        self.by_type: dict[str, list[Event]] = defaultdict(list)
        for event in sorted(events, key=lambda e: e.occurred_at):
            self.by_type[event.type].append(event)
        self.audits: list[Callable[[], AuditLog]] = []
        self.announcements: list[tuple[JobPosting, PostingChange, dict[str, Any]]] = []
        self.now = timezone.now()

    # --- loading -----------------------------------------------------------------------------------------
    def _keys(self, *pairs: tuple[str | tuple[str, ...], str]) -> set[str]:
        keys: set[str] = set()
        for types, field in pairs:
            for event_type in (types,) if isinstance(types, str) else types:
                keys.update(str(event.payload[field]) for event in self.by_type.get(event_type, ()))
        return keys

    def load(self) -> None:
        self.employers = _Tracked(
            _locked(Employer, self._keys((EMPLOYER_REGISTERED, "employer_id"), (POSTING_SAVED, "employer_id")))
        )
        self.seekers = _Tracked(
            _locked(Seeker, self._keys((SEEKER_REGISTERED, "seeker_id"), (APPLICATION_SUBMITTED, "seeker_id")))
        )
        self.postings = _Tracked(
            _locked(
                JobPosting,
                self._keys(
                    (POSTING_SAVED, "posting_id"), (POSTING_CLOSED, "posting_id"), (APPLICATION_SUBMITTED, "posting_id")
                ),
            )
        )
        self.applications = _Tracked(
            _locked(
                Application,
                self._keys((APPLICATION_SUBMITTED, "application_id"), (APPLICATION_STATUS_CHANGED, "application_id")),
            )
        )
        # One application per seeker and posting (the constraint): the pairs that exist among the batch's.
        self.pairs: set[tuple[int, int]] = set()
        submitted = self.by_type.get(APPLICATION_SUBMITTED, ())
        posting_ids = {p.pk for e in submitted if (p := self.postings.get(e.payload["posting_id"])) is not None}
        seeker_ids = {s.pk for e in submitted if (s := self.seekers.get(e.payload["seeker_id"])) is not None}
        if posting_ids and seeker_ids:
            self.pairs = set(
                Application.objects.filter(posting_id__in=posting_ids, seeker_id__in=seeker_ids).values_list(
                    "posting_id", "seeker_id"
                )
            )

    # --- bookkeeping -------------------------------------------------------------------------------------
    def audit(self, event: Event, action: str, target: models.Model, **kwargs: Any) -> None:
        actor = Actor.marketplace(event.source)
        # Built after the writes: new targets have their pk by then.
        self.audits.append(lambda: audit_entry(actor=actor, action=action, target=target, **kwargs))

    def park(self, event: Event, key: str) -> None:
        self.result.parked[event.event_id] = key

    def reject(self, event: Event, message: str) -> None:
        self.result.rejected[event.event_id] = message

    def each(self, types: str | tuple[str, ...], apply: Callable[[Event], None]) -> None:
        events = [e for t in ((types,) if isinstance(types, str) else types) for e in self.by_type.get(t, ())]
        events.sort(key=lambda e: e.occurred_at)
        for event in events:
            try:
                apply(event)
            except _Rejected as rejected:
                self.reject(event, rejected.message)

    # --- employers and seekers (jobs.services.employer_upsert / seeker_upsert) ---------------------------
    def employer_registered(self, event: Event) -> None:
        p = event.payload
        values = {
            "business_name": p["business_name"],
            "business_number": p.get("business_number") or "",
            "phone": p["phone"] or "",
            "region_code": p["region_code"],
            "verification_status": VerificationStatus.VERIFIED if p["verified"] else VerificationStatus.UNVERIFIED,
        }
        employer = self.employers.get(p["employer_id"])
        if employer is None:
            employer = Employer(external_id=p["employer_id"], source_updated_at=event.occurred_at, **values)
            _clean(employer)
            self.employers.add(employer)
            self.audit(event, "employer.registered", employer, after=snapshot(employer, EMPLOYER_FIELDS))
            return
        self._update(event, self.employers, employer, values, EMPLOYER_FIELDS, "employer.updated")

    def seeker_registered(self, event: Event) -> None:
        p = event.payload
        values = {
            "display_name": p["display_name"],
            "phone": p["phone"] or "",
            "birth_year": p.get("birth_year"),
            "region_code": p["region_code"],
        }
        seeker = self.seekers.get(p["seeker_id"])
        if seeker is None:
            seeker = Seeker(
                external_id=p["seeker_id"],
                source_updated_at=event.occurred_at,
                last_active_at=event.occurred_at,
                **values,
            )
            _clean(seeker)
            self.seekers.add(seeker)
            self.audit(event, "seeker.registered", seeker, after=snapshot(seeker, SEEKER_FIELDS))
            return
        if self._update(event, self.seekers, seeker, values, SEEKER_FIELDS, "seeker.updated"):
            self._seeker_active(seeker, event.occurred_at)

    def _update(
        self,
        event: Event,
        tracked: _Tracked[Any],
        row: models.Model,
        values: dict[str, Any],
        fields: tuple[str, ...],
        action: str,
    ) -> bool:
        """Apply a newer event's values to a row; False for a stale event (older than the row's state)."""
        if _is_stale(row.source_updated_at, event.occurred_at):  # type: ignore[attr-defined]
            return False
        before = snapshot(row, fields)
        saved = {name: getattr(row, name) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        try:
            _clean(row)
        except _Rejected:
            for name, value in saved.items():
                setattr(row, name, value)
            raise
        row.source_updated_at = event.occurred_at  # type: ignore[attr-defined]
        tracked.touch(row, "source_updated_at", *values)
        after = snapshot(row, fields)
        if before != after:
            self.audit(event, action, row, before=before, after=after)
        return True

    def _seeker_active(self, seeker: Seeker, at: dt.datetime) -> None:
        if at > seeker.last_active_at:
            seeker.last_active_at = at
            self.seekers.touch(seeker, "last_active_at")

    # --- postings (posting_create / posting_update / posting_close) --------------------------------------
    def posting_saved(self, event: Event) -> None:
        p = event.payload
        values = {
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
        posting = self.postings.get(p["posting_id"])
        if posting is None:
            _check_dates(values)
            employer = self.employers.get(p["employer_id"])
            if employer is None:
                self.park(event, f"employer:{p['employer_id']}")
                return
            posting = JobPosting(
                external_id=p["posting_id"],
                employer=employer,
                content_fingerprint=content_fingerprint(values["title"], values["description"]),
                source_updated_at=event.occurred_at,
                created_at=event.occurred_at,
                status_changed_at=self.now,
                **values,
            )
            _clean(posting, exclude=("employer",))
            self.postings.add(posting)
            self.audit(event, "posting.created", posting, after=snapshot(posting, (*POSTING_CONTENT_FIELDS, "status")))
            self.announcements.append((posting, PostingChange.CREATED, {}))
            return
        if _is_stale(posting.source_updated_at, event.occurred_at):
            return
        before = snapshot(posting, POSTING_CONTENT_FIELDS)
        saved = {name: getattr(posting, name) for name in values}
        for name, value in values.items():
            setattr(posting, name, value)
        after = snapshot(posting, POSTING_CONTENT_FIELDS)
        posting.source_updated_at = event.occurred_at
        self.postings.touch(posting, "source_updated_at")
        if before == after:
            return
        try:
            _check_dates(values)
            _clean(posting, exclude=("employer",))
        except _Rejected:
            for name, value in saved.items():
                setattr(posting, name, value)
            raise
        posting.content_fingerprint = content_fingerprint(posting.title, posting.description)
        self.postings.touch(posting, "content_fingerprint", *values)
        self.audit(event, "posting.updated", posting, before=before, after=after)
        changed = sorted(k for k in after if before[k] != after[k])
        self.announcements.append((posting, PostingChange.UPDATED, {"changed_fields": changed}))

    def posting_closed(self, event: Event) -> None:
        p = event.payload
        posting = self.postings.get(p["posting_id"])
        if posting is None:
            self.park(event, f"posting:{p['posting_id']}")
            return
        if posting.status == PostingStatus.CLOSED:
            return
        if not can_transition_posting(posting.status, PostingStatus.CLOSED):
            raise _Rejected(
                f"A posting cannot go from {PostingStatus(posting.status).label} to {PostingStatus.CLOSED.label}."
            )
        before = snapshot(posting, POSTING_STATUS_FIELDS)
        old_status = posting.status
        posting.status = PostingStatus.CLOSED
        posting.status_changed_at = event.occurred_at
        posting.closed_at = event.occurred_at
        posting.close_reason = p["reason"]
        self.postings.touch(posting, "status", "status_changed_at", "closed_at", "close_reason")
        self.audit(
            event,
            "posting.status_changed",
            posting,
            before=before,
            after=snapshot(posting, POSTING_STATUS_FIELDS),
            note="marketplace",
        )
        self.announcements.append(
            (posting, PostingChange.STATUS_CHANGED, {"old_status": old_status, "new_status": PostingStatus.CLOSED})
        )

    # --- applications (application_submit / application_change_status) ---------------------------------
    def application_submitted(self, event: Event) -> None:
        p = event.payload
        if self.applications.get(p["application_id"]) is not None:
            return
        posting = self.postings.get(p["posting_id"])
        if posting is None:
            self.park(event, f"posting:{p['posting_id']}")
            return
        seeker = self.seekers.get(p["seeker_id"])
        if seeker is None:
            self.park(event, f"seeker:{p['seeker_id']}")
            return
        pair = (id(posting) if posting.pk is None else posting.pk, id(seeker) if seeker.pk is None else seeker.pk)
        if pair in self.pairs:
            return  # the same seeker's application to the same posting, under another id
        self.pairs.add(pair)
        at = event.occurred_at
        message = p.get("message", "")
        application = Application(
            external_id=p["application_id"],
            posting=posting,
            seeker=seeker,
            message=message,
            submitted_at=at,
            status_changed_at=at,
            source_updated_at=at,
            created_at=at,
        )
        self.applications.add(application)
        posting.application_count += 1
        fields = ["application_count"]
        if posting.first_application_at is None or at < posting.first_application_at:
            posting.first_application_at = at
            fields.append("first_application_at")
        self.postings.touch(posting, *fields)
        self._seeker_active(seeker, at)
        self.audit(
            event,
            "application.submitted",
            application,
            # Model instances are read as their pk when the row is built, after the inserts.
            after={"posting": posting, "seeker": seeker, "status": ApplicationStatus.SUBMITTED, "message": message},
        )

    def application_status_changed(self, event: Event) -> None:
        p = event.payload
        application = self.applications.get(p["application_id"])
        if application is None:
            self.park(event, f"application:{p['application_id']}")
            return
        status = ApplicationStatus(p["status"])
        at = event.occurred_at
        timestamp_field = _APPLICATION_STATUS_TIMESTAMP[status]
        before = {"status": application.status, timestamp_field: getattr(application, timestamp_field)}
        fields: list[str] = []
        recorded = getattr(application, timestamp_field)
        if recorded is None or at < recorded:
            setattr(application, timestamp_field, at)
            fields.append(timestamp_field)
        if at >= application.status_changed_at:
            application.status = status
            application.status_changed_at = at
            application.source_updated_at = at
            fields += ["status", "status_changed_at", "source_updated_at"]
        after = {"status": application.status, timestamp_field: getattr(application, timestamp_field)}
        if before == after:
            return
        self.applications.touch(application, *fields)
        if status == ApplicationStatus.WITHDRAWN:
            # Only the seeker's own actions count as their activity (see application_change_status).
            # A new application holds its seeker; an older one's seeker may not be loaded (no query for it).
            seeker = application.seeker if application._state.adding else self._seeker_by_pk.get(application.seeker_id)
            if seeker is not None:
                self._seeker_active(seeker, at)
            else:
                previous = self.withdrawn_activity.get(application.seeker_id)
                self.withdrawn_activity[application.seeker_id] = max(at, previous) if previous else at
        self.audit(event, "application.status_changed", application, before=before, after=after)

    # --- run ---------------------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        self.load()
        self._seeker_by_pk = {s.pk: s for s in self.seekers.by_key.values() if s.pk is not None}
        self.withdrawn_activity: dict[int, dt.datetime] = {}
        self.each(EMPLOYER_REGISTERED, self.employer_registered)
        self.each(SEEKER_REGISTERED, self.seeker_registered)
        self.each(POSTING_SAVED, self.posting_saved)
        self.each(POSTING_CLOSED, self.posting_closed)
        self.each(APPLICATION_SUBMITTED, self.application_submitted)
        self.each(APPLICATION_STATUS_CHANGED, self.application_status_changed)
        self.write()
        return self.result

    def write(self) -> None:
        self.employers.write(Employer)
        self.seekers.write(Seeker)
        self.postings.write(JobPosting)
        self.applications.write(Application)
        if self.withdrawn_activity:
            # Seekers not loaded by this batch (withdrawals of older applications): one UPDATE, newest wins.
            ids = sorted(self.withdrawn_activity)
            Seeker.objects.filter(pk__in=ids).update(
                last_active_at=Greatest(
                    F("last_active_at"),
                    Case(
                        *[When(pk=pk, then=Value(self.withdrawn_activity[pk])) for pk in ids],
                        output_field=models.DateTimeField(),
                    ),
                )
            )
        audit_record_many(build() for build in self.audits)
        for posting, change, extra in self.announcements:
            posting_id = posting.pk

            def announce(posting_id: int = posting_id, change: PostingChange = change, extra: dict = extra) -> None:  # type: ignore[type-arg]
                posting_changed.send(sender=JobPosting, posting_id=posting_id, change=change, **extra)

            transaction.on_commit(announce)


def _check_dates(values: dict[str, Any]) -> None:
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise _Rejected("ends_on: The end date is before the start date.")


def apply_events(events: Sequence[Event]) -> BatchResult:
    """Apply a batch's jobs events (every type in ``HANDLED_TYPES``); the caller holds the transaction."""
    return _JobsBatch(events).run()
