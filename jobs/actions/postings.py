"""Postings: create and edit (marketplace events and staff), status changes (publish, hide, close, expire),
and the minimum-wage table the wage rules read.

One implementation per write, over a list: the consumer passes a batch, screening a batch of clean postings,
the admin and moderation a list of one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.actions import DomainError, ErrorCode, InvalidTransitionError, Outcome, OutcomeStatus
from backoffice.audit import Actor, snapshot
from jobs.actions.common import (
    POSTING_CONTENT_FIELDS,
    POSTING_STATUS_FIELDS,
    Audits,
    PostingChange,
    Tracked,
    announce_postings,
    by_occurrence,
    clean_fields,
    is_stale,
    locked_by,
)
from jobs.models import CloseReason, Employer, JobPosting, MinimumWage, PostingStatus
from jobs.policies import PostingTerms, can_transition_posting, policy_for
from jobs.signals import minimum_wage_changed
from jobs.text import content_fingerprint


class SaveMode(models.TextChoices):
    UPSERT = "upsert"  # marketplace events: created and updated carry the whole posting, either may come first
    CREATE = "create"  # staff: a new posting; an existing external id is refused
    UPDATE = "update"  # staff: an edit of an existing posting; only the given fields change


@dataclass(frozen=True)
class PostingSave:
    actor: Actor
    external_id: str
    values: Mapping[str, Any]  # content fields (POSTING_CONTENT_FIELDS); all of them unless UPDATE
    employer: Employer | None = None  # staff pass the row; events pass the marketplace id
    employer_external_id: str = ""
    occurred_at: dt.datetime | None = None
    # Staff entry refuses what the employment-type policy rejects. Marketplace events pass False: a
    # contract-valid event is never lost; the screening rules flag what the policy dislikes.
    enforce_policy: bool = True
    mode: SaveMode = SaveMode.UPSERT


def validate_posting_terms(values: Mapping[str, Any]) -> None:
    """Raise ``DomainError`` (by field) when the employment-type policy rejects these terms."""
    try:
        policy = policy_for(values["employment_type"])
    except ValueError as exc:
        raise DomainError({"employment_type": str(exc)}) from exc
    violations = policy.validate(
        PostingTerms(
            employment_type=values["employment_type"],
            wage_type=values["wage_type"],
            wage_amount=values["wage_amount"],
            hours_per_week=values.get("hours_per_week"),
            starts_on=values.get("starts_on"),
            ends_on=values.get("ends_on"),
            title=values.get("title", ""),
            description=values.get("description", ""),
            region_code=values.get("region_code", ""),
            category=values.get("category", ""),
        )
    )
    if violations:
        errors: dict[str, list[str]] = {}
        for violation in violations:
            errors.setdefault(violation.field, []).append(violation.message)
        raise DomainError(errors)


def check_posting_content(values: Mapping[str, Any], *, enforce_policy: bool) -> None:
    """The content rules every save applies, whoever saves: dates in order, then the policy for staff."""
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError({"ends_on": _("The end date is before the start date.")})
    if enforce_policy:
        validate_posting_terms(values)


@transaction.atomic
def postings_save(items: Sequence[PostingSave]) -> list[Outcome[JobPosting]]:
    """Create or edit postings. A new posting starts in ``pending_review``: it counts as published only
    after screening. An item older than the posting's state changes nothing; a new posting whose employer is
    not known yet is parked (``employer:<id>``); content that breaks a rule is rejected alone, before the
    employer is looked up (so whether the employer is known cannot change the outcome)."""
    postings = locked_by(JobPosting, "external_id", (item.external_id for item in items))
    employers = {
        e.external_id: e
        for e in Employer.objects.filter(
            external_id__in=sorted({i.employer_external_id for i in items if i.employer is None} - {""})
        )
    }
    tracked: Tracked[JobPosting] = Tracked()
    audits = Audits()
    announcements: list[tuple[JobPosting, PostingChange, dict[str, Any]]] = []
    outcomes: list[Outcome[JobPosting]] = [Outcome.unchanged(None)] * len(items)
    now = timezone.now()
    for index in by_occurrence(items, lambda item: item.occurred_at):
        item = items[index]
        unknown = set(item.values) - set(POSTING_CONTENT_FIELDS)
        if unknown:
            outcomes[index] = Outcome.rejected(DomainError(f"Not editable here: {', '.join(sorted(unknown))}."))
            continue
        posting = postings.get(item.external_id)
        if posting is None:
            if item.mode == SaveMode.UPDATE:
                outcomes[index] = Outcome.rejected(
                    DomainError(_("This posting does not exist."), code=ErrorCode.NOT_FOUND)
                )
                continue
            values = {name: item.values.get(name) for name in POSTING_CONTENT_FIELDS}
            try:
                check_posting_content(values, enforce_policy=item.enforce_policy)
            except DomainError as error:
                outcomes[index] = Outcome.rejected(error)
                continue
            employer = item.employer or employers.get(item.employer_external_id)
            if employer is None:
                outcomes[index] = Outcome.parked(f"employer:{item.employer_external_id}")
                continue
            posting = JobPosting(
                external_id=item.external_id,
                employer=employer,
                content_fingerprint=content_fingerprint(values["title"] or "", values["description"] or ""),
                source_updated_at=item.occurred_at,
                created_at=item.occurred_at or now,
                status_changed_at=now,
                **values,
            )
            try:
                clean_fields(posting, exclude=("employer",))
            except DomainError as error:
                outcomes[index] = Outcome.rejected(error)
                continue
            postings[item.external_id] = posting
            tracked.add(posting)
            audits.add(
                actor=item.actor,
                action="posting.created",
                target=posting,
                after=snapshot(posting, (*POSTING_CONTENT_FIELDS, "status")),
            )
            announcements.append((posting, PostingChange.CREATED, {}))
            outcomes[index] = Outcome.applied(posting)
            continue
        if item.mode == SaveMode.CREATE:
            outcomes[index] = Outcome.rejected(
                DomainError({"external_id": _("A posting with this marketplace id exists.")}, ErrorCode.ALREADY_EXISTS)
            )
            continue
        if is_stale(posting.source_updated_at, item.occurred_at):
            outcomes[index] = Outcome.unchanged(posting)
            continue
        before = snapshot(posting, POSTING_CONTENT_FIELDS)
        saved = {name: getattr(posting, name) for name in item.values}
        for name, value in item.values.items():
            setattr(posting, name, value)
        after = snapshot(posting, POSTING_CONTENT_FIELDS)
        if before == after:
            if item.occurred_at:
                posting.source_updated_at = item.occurred_at
                tracked.touch(posting, "source_updated_at")
            outcomes[index] = Outcome.unchanged(posting)
            continue
        try:
            check_posting_content(
                {name: getattr(posting, name) for name in POSTING_CONTENT_FIELDS}, enforce_policy=item.enforce_policy
            )
            clean_fields(posting, exclude=("employer",))
        except DomainError as error:
            for name, value in saved.items():
                setattr(posting, name, value)
            outcomes[index] = Outcome.rejected(error)
            continue
        posting.source_updated_at = item.occurred_at or posting.source_updated_at
        posting.content_fingerprint = content_fingerprint(posting.title, posting.description)
        tracked.touch(posting, "source_updated_at", "content_fingerprint", *item.values)
        audits.add(actor=item.actor, action="posting.updated", target=posting, before=before, after=after)
        changed = sorted(k for k in after if before[k] != after[k])
        announcements.append((posting, PostingChange.UPDATED, {"changed_fields": changed}))
        outcomes[index] = Outcome.applied(posting)
    tracked.write(JobPosting, now)
    audits.write()
    announce_postings(announcements)
    return outcomes


@dataclass(frozen=True)
class PostingStatusChange:
    actor: Actor
    status: str
    posting: JobPosting | None = None  # staff, moderation and jobs pass the row
    external_id: str = ""  # marketplace events (posting.closed) pass the marketplace id: parked when unknown
    note: str = ""
    close_reason: str = ""
    at: dt.datetime | None = None  # when it happened (the event's occurred_at); now by default
    metadata: Mapping[str, Any] | None = None
    # Checked under the row lock: False leaves the posting as it is (e.g. expiry: still published and due).
    only_if: Callable[[JobPosting], bool] | None = field(default=None, compare=False)


def set_posting_status(posting: JobPosting, status: str, now: dt.datetime, close_reason: str = "") -> None:
    """The field changes of a status change (the state machine was checked by the caller). Publishing sets
    ``published_at`` the first time and the expiry from the employment-type policy; a restored posting keeps
    its original expiry unless that has passed."""
    posting.status = status
    posting.status_changed_at = now
    if status == PostingStatus.PUBLISHED:
        posting.published_at = posting.published_at or now
        if posting.expires_at is None or posting.expires_at <= now:
            policy = policy_for(posting.employment_type)
            posting.expires_at = policy.expires_at(now, posting.ends_on, timezone.get_default_timezone())
    elif status == PostingStatus.CLOSED:
        posting.closed_at = now
        posting.close_reason = close_reason


def check_posting_transition(posting: JobPosting, status: str, close_reason: str) -> None:
    if not can_transition_posting(posting.status, status):
        raise InvalidTransitionError(
            _("A posting cannot go from %(old)s to %(new)s.")
            % {"old": PostingStatus(posting.status).label, "new": PostingStatus(status).label}
        )
    if status == PostingStatus.CLOSED and close_reason not in CloseReason.values:
        raise DomainError({"close_reason": _("Closing a posting needs a reason.")})


@transaction.atomic
def postings_change_status(items: Sequence[PostingStatusChange]) -> list[Outcome[JobPosting]]:
    """Move postings through their state machine (``jobs.policies.POSTING_TRANSITIONS``), each audited and
    announced; a posting already in the asked status is unchanged."""
    pks = {i.posting.pk for i in items if i.posting is not None}
    external_ids = {i.external_id for i in items if i.posting is None}
    rows = list(
        JobPosting.objects.select_for_update(no_key=True)
        .filter(Q(pk__in=sorted(pks)) | Q(external_id__in=sorted(external_ids)))
        .order_by("pk")
    )
    by_pk = {row.pk: row for row in rows}
    by_external_id = {row.external_id: row for row in rows}
    tracked: Tracked[JobPosting] = Tracked()
    audits = Audits()
    announcements: list[tuple[JobPosting, PostingChange, dict[str, Any]]] = []
    outcomes: list[Outcome[JobPosting]] = [Outcome.unchanged(None)] * len(items)
    now = timezone.now()
    for index in by_occurrence(items, lambda item: item.at):
        item = items[index]
        posting = by_pk.get(item.posting.pk) if item.posting is not None else by_external_id.get(item.external_id)
        if posting is None:
            outcomes[index] = Outcome.parked(f"posting:{item.external_id}")
            continue
        if posting.status == item.status or (item.only_if is not None and not item.only_if(posting)):
            outcomes[index] = Outcome.unchanged(posting)
            continue
        try:
            check_posting_transition(posting, item.status, item.close_reason)
        except DomainError as error:
            outcomes[index] = Outcome.rejected(error)
            continue
        before = snapshot(posting, POSTING_STATUS_FIELDS)
        set_posting_status(posting, item.status, item.at or now, item.close_reason)
        tracked.touch(posting, "status_changed_at", *POSTING_STATUS_FIELDS)
        audits.add(
            actor=item.actor,
            action="posting.status_changed",
            target=posting,
            before=before,
            after=snapshot(posting, POSTING_STATUS_FIELDS),
            note=item.note,
            metadata=item.metadata,
        )
        announcements.append(
            (posting, PostingChange.STATUS_CHANGED, {"old_status": before["status"], "new_status": item.status})
        )
        outcomes[index] = Outcome.applied(posting)
    tracked.write(JobPosting, now)
    audits.write()
    announce_postings(announcements)
    if item_postings := [i.posting for i in items if i.posting is not None]:
        # Callers holding the row keep seeing its current state (the admin redirects with it, moderation
        # records before/after).
        for stale in item_postings:
            fresh = by_pk.get(stale.pk)
            if fresh is not None and fresh is not stale:
                for name in ("status", "status_changed_at", *POSTING_STATUS_FIELDS, "updated_at"):
                    setattr(stale, name, getattr(fresh, name))
    return outcomes


EXPIRY_PAGE = 500


def postings_expire_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Expire published postings past their expiry time; returns how many. Safe to run concurrently: each
    posting is re-checked under its row lock, so a posting is expired once. Pages of ``EXPIRY_PAGE``, one
    transaction each."""
    now = now or timezone.now()
    expired = 0
    due_ids = list(
        JobPosting.objects.filter(status=PostingStatus.PUBLISHED, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    actor = Actor.system("expiry")

    def still_due(posting: JobPosting) -> bool:
        return (
            posting.status == PostingStatus.PUBLISHED and posting.expires_at is not None and posting.expires_at <= now
        )

    for start in range(0, len(due_ids), EXPIRY_PAGE):
        page = JobPosting.objects.filter(pk__in=due_ids[start : start + EXPIRY_PAGE]).only("pk", "expires_at")
        outcomes = postings_change_status(
            [
                PostingStatusChange(
                    actor=actor,
                    posting=posting,
                    status=PostingStatus.EXPIRED,
                    at=now,
                    note="Past its expiry time.",
                    metadata={"expires_at": posting.expires_at.isoformat() if posting.expires_at else None},
                    only_if=still_due,
                )
                for posting in page
            ]
        )
        expired += sum(1 for o in outcomes if o.status == OutcomeStatus.APPLIED)
    return expired


@dataclass(frozen=True)
class MinimumWageSet:
    actor: Actor
    year: int
    hourly_amount: int
    source: str = ""


@transaction.atomic
def minimum_wages_set(items: Sequence[MinimumWageSet]) -> list[Outcome[MinimumWage]]:
    """Add or correct years of the legal minimum. A new year is announced so live postings are re-checked."""
    rows = locked_by(MinimumWage, "year", (item.year for item in items))
    audits = Audits()
    outcomes: list[Outcome[MinimumWage]] = []
    for item in items:
        if item.hourly_amount <= 0:
            outcomes.append(Outcome.rejected(DomainError({"hourly_amount": _("The minimum wage must be positive.")})))
            continue
        row = rows.get(item.year)
        created = row is None
        if row is None:
            row = rows[item.year] = MinimumWage(year=item.year)
        before = {} if created else snapshot(row, ("hourly_amount", "source"))
        row.hourly_amount = item.hourly_amount
        row.source = item.source
        after = snapshot(row, ("hourly_amount", "source"))
        if before == after:
            outcomes.append(Outcome.unchanged(row))
            continue
        row.save()
        audits.add(
            actor=item.actor,
            action="minimum_wage.added" if created else "minimum_wage.changed",
            target=row,
            before=before,
            after=after,
        )
        year = item.year
        transaction.on_commit(
            lambda year=year, created=created: minimum_wage_changed.send(sender=MinimumWage, year=year, created=created)
        )
        outcomes.append(Outcome.applied(row))
    audits.write()
    return outcomes
