"""Writes for the jobs domain. One function per use case, keyword-only, atomic.

Order inside each (after Zulip's actions): lock the row → check → change → audit → announce after commit.
Marketplace-sourced writes pass ``occurred_at``: an event older than what the row already reflects changes
nothing (EVENTS.md: the newest ``occurred_at`` wins, whatever the arrival order).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import Actor, audit_entry, audit_record, audit_record_many, snapshot
from backoffice.bulk import bulk_update_rows
from jobs.models import (
    AccountStatus,
    Application,
    ApplicationStatus,
    CloseReason,
    Employer,
    JobPosting,
    MinimumWage,
    PostingStatus,
    Seeker,
    VerificationStatus,
)
from jobs.policies import PostingTerms, can_transition_posting, policy_for
from jobs.signals import minimum_wage_changed, posting_changed
from jobs.text import content_fingerprint


class PostingChange(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"


class InvalidTransitionError(ValidationError):
    """A status change the state machine does not allow (e.g. re-opening a closed posting)."""


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

# Which timestamp records each application status (the funnel metrics read them).
_APPLICATION_STATUS_TIMESTAMP = {
    ApplicationStatus.SUBMITTED: "submitted_at",
    ApplicationStatus.VIEWED: "viewed_at",
    ApplicationStatus.SHORTLISTED: "shortlisted_at",
    ApplicationStatus.HIRED: "hired_at",
    ApplicationStatus.REJECTED: "rejected_at",
    ApplicationStatus.WITHDRAWN: "withdrawn_at",
}


def _is_stale(current: dt.datetime | None, occurred_at: dt.datetime | None) -> bool:
    """True when an event is older than the state already applied (it must not overwrite newer state)."""
    return occurred_at is not None and current is not None and occurred_at < current


def _announce_posting(posting: JobPosting, change: PostingChange, **extra: Any) -> None:
    posting_id = posting.pk
    transaction.on_commit(
        lambda: posting_changed.send(sender=JobPosting, posting_id=posting_id, change=change, **extra)
    )


def _full_clean(instance: Any, exclude: tuple[str, ...] = ()) -> None:
    # Field validators (10-digit region codes, choices) apply to every entry point, not only to forms.
    # Model constraints are not validated here: Django checks each CheckConstraint with its own query, which
    # at thousands of events a second is most of the cost; the database enforces them anyway, and the few a
    # caller can break get a readable message from ``_check_posting_dates`` and the services' own checks.
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


def _check_posting_dates(posting: JobPosting) -> None:
    if posting.starts_on and posting.ends_on and posting.ends_on < posting.starts_on:
        raise ValidationError({"ends_on": _("The end date is before the start date.")})


# --- employers and seekers -------------------------------------------------------------------------------
@transaction.atomic
def employer_upsert(
    *,
    actor: Actor,
    external_id: str,
    business_name: str,
    region_code: str,
    phone: str = "",
    business_number: str = "",
    verified: bool = False,
    occurred_at: dt.datetime | None = None,
) -> Employer:
    """Register an employer, or update it from a newer marketplace event."""
    employer = Employer.objects.select_for_update().filter(external_id=external_id).first()
    values = {
        "business_name": business_name,
        "business_number": business_number or "",
        "phone": phone or "",
        "region_code": region_code,
        "verification_status": VerificationStatus.VERIFIED if verified else VerificationStatus.UNVERIFIED,
    }
    if employer is None:
        employer = Employer(external_id=external_id, source_updated_at=occurred_at, **values)
        _full_clean(employer)
        employer.save()
        audit_record(
            actor=actor, action="employer.registered", target=employer, after=snapshot(employer, EMPLOYER_FIELDS)
        )
        return employer
    if _is_stale(employer.source_updated_at, occurred_at):
        return employer
    before = snapshot(employer, EMPLOYER_FIELDS)
    for name, value in values.items():
        setattr(employer, name, value)
    employer.source_updated_at = occurred_at or employer.source_updated_at
    _full_clean(employer)
    employer.save()
    after = snapshot(employer, EMPLOYER_FIELDS)
    if before != after:
        audit_record(actor=actor, action="employer.updated", target=employer, before=before, after=after)
    return employer


@transaction.atomic
def seeker_upsert(
    *,
    actor: Actor,
    external_id: str,
    display_name: str,
    region_code: str,
    phone: str = "",
    birth_year: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> Seeker:
    seeker = Seeker.objects.select_for_update().filter(external_id=external_id).first()
    values = {"display_name": display_name, "phone": phone or "", "birth_year": birth_year, "region_code": region_code}
    if seeker is None:
        seeker = Seeker(
            external_id=external_id,
            source_updated_at=occurred_at,
            last_active_at=occurred_at or timezone.now(),
            **values,
        )
        _full_clean(seeker)
        seeker.save()
        audit_record(actor=actor, action="seeker.registered", target=seeker, after=snapshot(seeker, SEEKER_FIELDS))
        return seeker
    if _is_stale(seeker.source_updated_at, occurred_at):
        return seeker
    before = snapshot(seeker, SEEKER_FIELDS)
    for name, value in values.items():
        setattr(seeker, name, value)
    seeker.source_updated_at = occurred_at or seeker.source_updated_at
    if occurred_at and occurred_at > seeker.last_active_at:
        seeker.last_active_at = occurred_at
    _full_clean(seeker)
    seeker.save()
    after = snapshot(seeker, SEEKER_FIELDS)
    if before != after:
        audit_record(actor=actor, action="seeker.updated", target=seeker, before=before, after=after)
    return seeker


def _set_account_status(
    *,
    actor: Actor,
    account: Employer | Seeker,
    status: str,
    until: dt.datetime | None,
    note: str,
    action: str,
) -> Employer | Seeker:
    if status not in AccountStatus.values:
        raise ValidationError({"account_status": f"Unknown account status {status!r}."})
    if status == AccountStatus.SUSPENDED and until is None:
        raise ValidationError({"suspended_until": _("A suspension needs an end time.")})
    if status == AccountStatus.SUSPENDED and until is not None and until <= timezone.now():
        raise ValidationError({"suspended_until": _("A suspension must end in the future.")})
    before = snapshot(account, ACCOUNT_FIELDS)
    account.account_status = status
    account.suspended_until = until if status == AccountStatus.SUSPENDED else None
    after = snapshot(account, ACCOUNT_FIELDS)
    if before == after:
        return account
    account.save(update_fields=["account_status", "suspended_until", "updated_at"])
    audit_record(actor=actor, action=action, target=account, before=before, after=after, note=note)
    return account


@transaction.atomic
def employer_set_account_status(
    *, actor: Actor, employer: Employer, status: str, until: dt.datetime | None = None, note: str = ""
) -> Employer:
    """Suspend, ban or reinstate an employer (sanctions in moderation call this)."""
    locked = Employer.objects.select_for_update().get(pk=employer.pk)
    result = _set_account_status(
        actor=actor, account=locked, status=status, until=until, note=note, action="employer.account_status_changed"
    )
    assert isinstance(result, Employer)
    return result


@transaction.atomic
def seeker_set_account_status(
    *, actor: Actor, seeker: Seeker, status: str, until: dt.datetime | None = None, note: str = ""
) -> Seeker:
    locked = Seeker.objects.select_for_update().get(pk=seeker.pk)
    result = _set_account_status(
        actor=actor, account=locked, status=status, until=until, note=note, action="seeker.account_status_changed"
    )
    assert isinstance(result, Seeker)
    return result


# --- postings --------------------------------------------------------------------------------------------
def _terms(values: Mapping[str, Any]) -> PostingTerms:
    return PostingTerms(
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


def validate_posting_terms(values: Mapping[str, Any]) -> None:
    """Raise ``ValidationError`` (by field) when the employment-type policy rejects these terms."""
    try:
        policy = policy_for(values["employment_type"])
    except ValueError as exc:
        raise ValidationError({"employment_type": str(exc)}) from exc
    violations = policy.validate(_terms(values))
    if violations:
        errors: dict[str, list[str]] = {}
        for violation in violations:
            errors.setdefault(violation.field, []).append(violation.message)
        raise ValidationError(errors)


@transaction.atomic
def posting_create(
    *,
    actor: Actor,
    employer: Employer,
    external_id: str,
    title: str,
    description: str,
    employment_type: str,
    wage_type: str,
    wage_amount: int,
    region_code: str,
    category: str,
    hours_per_week: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    enforce_policy: bool = True,
) -> JobPosting:
    """Create a posting in ``pending_review``: it counts as published only after screening.

    ``enforce_policy`` refuses postings the employment-type policy rejects (staff entry). Marketplace events
    pass False: a contract-valid event is never lost; the screening rules flag what the policy dislikes.
    """
    values = {
        "title": title,
        "description": description,
        "employment_type": employment_type,
        "wage_type": wage_type,
        "wage_amount": wage_amount,
        "hours_per_week": hours_per_week,
        "region_code": region_code,
        "category": category,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    if enforce_policy:
        validate_posting_terms(values)
    now = timezone.now()
    posting = JobPosting(
        external_id=external_id,
        employer=employer,
        content_fingerprint=content_fingerprint(title, description),
        source_updated_at=occurred_at,
        created_at=occurred_at or now,
        status_changed_at=now,
        **values,
    )
    _full_clean(posting, exclude=("employer",))
    _check_posting_dates(posting)
    posting.save()
    audit_record(
        actor=actor,
        action="posting.created",
        target=posting,
        after=snapshot(posting, (*POSTING_CONTENT_FIELDS, "status")),
    )
    _announce_posting(posting, PostingChange.CREATED)
    return posting


@transaction.atomic
def posting_update(
    *,
    actor: Actor,
    posting: JobPosting,
    changes: Mapping[str, Any],
    occurred_at: dt.datetime | None = None,
    enforce_policy: bool = True,
) -> JobPosting:
    """Change a posting's content. Returns the posting unchanged for a stale event or a no-op edit."""
    unknown = set(changes) - set(POSTING_CONTENT_FIELDS)
    if unknown:
        raise ValidationError(f"Not editable through posting_update: {', '.join(sorted(unknown))}.")
    locked = JobPosting.objects.select_for_update().get(pk=posting.pk)
    if _is_stale(locked.source_updated_at, occurred_at):
        return locked
    before = snapshot(locked, POSTING_CONTENT_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    if enforce_policy:
        validate_posting_terms({name: getattr(locked, name) for name in POSTING_CONTENT_FIELDS})
    locked.content_fingerprint = content_fingerprint(locked.title, locked.description)
    locked.source_updated_at = occurred_at or locked.source_updated_at
    after = snapshot(locked, POSTING_CONTENT_FIELDS)
    if before == after:
        if occurred_at:
            locked.save(update_fields=["source_updated_at"])
        return locked
    _full_clean(locked, exclude=("employer",))
    _check_posting_dates(locked)
    locked.save()
    audit_record(actor=actor, action="posting.updated", target=locked, before=before, after=after)
    _announce_posting(locked, PostingChange.UPDATED, changed_fields=sorted(k for k in after if before[k] != after[k]))
    return locked


@transaction.atomic
def posting_change_status(
    *,
    actor: Actor,
    posting: JobPosting,
    status: str,
    note: str = "",
    close_reason: str = "",
    at: dt.datetime | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> JobPosting:
    """Move a posting through its state machine (``jobs.policies.POSTING_TRANSITIONS``).

    Publishing sets ``published_at`` the first time and the expiry from the employment-type policy; a
    restored posting keeps its original expiry unless that has passed.
    """
    locked = JobPosting.objects.select_for_update().get(pk=posting.pk)
    if locked.status == status:
        return locked
    if not can_transition_posting(locked.status, status):
        raise InvalidTransitionError(
            _("A posting cannot go from %(old)s to %(new)s.")
            % {"old": locked.get_status_display(), "new": PostingStatus(status).label}
        )
    if status == PostingStatus.CLOSED and close_reason not in CloseReason.values:
        raise ValidationError({"close_reason": _("Closing a posting needs a reason.")})
    now = at or timezone.now()
    before = snapshot(locked, POSTING_STATUS_FIELDS)
    _set_status(locked, status, now, close_reason)
    locked.save()
    audit_record(
        actor=actor,
        action="posting.status_changed",
        target=locked,
        before=before,
        after=snapshot(locked, POSTING_STATUS_FIELDS),
        note=note,
        metadata=metadata,
    )
    _announce_posting(locked, PostingChange.STATUS_CHANGED, old_status=before["status"], new_status=status)
    return locked


def _set_status(posting: JobPosting, status: str, now: dt.datetime, close_reason: str = "") -> None:
    """The field changes of a status change (the state machine was checked by the caller)."""
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


def postings_publish_locked(*, actor: Actor, postings: Sequence[JobPosting], note: str = "") -> list[JobPosting]:
    """Publish many postings at once (screening of an ingestion batch): one UPDATE, one audit INSERT.

    The caller holds the postings' row locks inside its transaction (``select_for_update``) and has checked
    why each may be published; postings the state machine does not let publish are skipped and returned
    out of the result."""
    now = timezone.now()
    published: list[JobPosting] = []
    old_status: dict[int, str] = {}
    entries = []
    for posting in postings:
        if posting.status == PostingStatus.PUBLISHED or not can_transition_posting(
            posting.status, PostingStatus.PUBLISHED
        ):
            continue
        before = snapshot(posting, POSTING_STATUS_FIELDS)
        old_status[posting.pk] = posting.status
        _set_status(posting, PostingStatus.PUBLISHED, now)
        posting.updated_at = now
        published.append(posting)
        entries.append(
            audit_entry(
                actor=actor,
                action="posting.status_changed",
                target=posting,
                before=before,
                after=snapshot(posting, POSTING_STATUS_FIELDS),
                note=note,
            )
        )
    bulk_update_rows(JobPosting, published, ["status", "status_changed_at", "published_at", "expires_at", "updated_at"])
    audit_record_many(entries)
    for posting in published:
        _announce_posting(
            posting, PostingChange.STATUS_CHANGED, old_status=old_status[posting.pk], new_status=posting.status
        )
    return published


def posting_publish(*, actor: Actor, posting: JobPosting, note: str = "") -> JobPosting:
    return posting_change_status(actor=actor, posting=posting, status=PostingStatus.PUBLISHED, note=note)


def posting_close(
    *, actor: Actor, posting: JobPosting, reason: str, note: str = "", at: dt.datetime | None = None
) -> JobPosting:
    return posting_change_status(
        actor=actor, posting=posting, status=PostingStatus.CLOSED, close_reason=reason, note=note, at=at
    )


def posting_expire_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Expire published postings past their expiry time; returns how many. Safe to run concurrently:
    each posting is re-checked under its row lock, so a posting is expired once."""
    now = now or timezone.now()
    expired = 0
    due_ids = list(
        JobPosting.objects.filter(status=PostingStatus.PUBLISHED, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    for posting_id in due_ids:
        with transaction.atomic():
            posting = JobPosting.objects.select_for_update().get(pk=posting_id)
            if posting.status != PostingStatus.PUBLISHED or posting.expires_at is None or posting.expires_at > now:
                continue
            posting_change_status(
                actor=Actor.system("expiry"),
                posting=posting,
                status=PostingStatus.EXPIRED,
                at=now,
                note="Past its expiry time.",
                metadata={"expires_at": posting.expires_at.isoformat()},
            )
            expired += 1
    return expired


# --- minimum wage table ---------------------------------------------------------------------------------
@transaction.atomic
def minimum_wage_set(*, actor: Actor, year: int, hourly_amount: int, source: str = "") -> MinimumWage:
    """Add or correct a year's legal minimum. A new year is announced so live postings are re-checked."""
    if hourly_amount <= 0:
        raise ValidationError({"hourly_amount": _("The minimum wage must be positive.")})
    row = MinimumWage.objects.select_for_update().filter(year=year).first()
    created = row is None
    if row is None:
        row = MinimumWage(year=year)
    before = {} if created else snapshot(row, ("hourly_amount", "source"))
    row.hourly_amount = hourly_amount
    row.source = source
    after = snapshot(row, ("hourly_amount", "source"))
    if before == after:
        return row
    row.save()
    audit_record(
        actor=actor,
        action="minimum_wage.added" if created else "minimum_wage.changed",
        target=row,
        before=before,
        after=after,
    )
    transaction.on_commit(lambda: minimum_wage_changed.send(sender=MinimumWage, year=year, created=created))
    return row


# --- applications ----------------------------------------------------------------------------------------
@transaction.atomic
def application_submit(
    *,
    actor: Actor,
    posting: JobPosting,
    seeker: Seeker,
    external_id: str,
    message: str = "",
    submitted_at: dt.datetime | None = None,
) -> Application:
    """Record an application; counting it on the posting happens once even if the event is replayed."""
    existing = Application.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    # One application per seeker and posting: a second one under another id is the same application.
    duplicate = Application.objects.filter(posting=posting, seeker=seeker).first()
    if duplicate is not None:
        return duplicate
    submitted_at = submitted_at or timezone.now()
    application = Application(
        external_id=external_id,
        posting=posting,
        seeker=seeker,
        message=message,
        submitted_at=submitted_at,
        status_changed_at=submitted_at,
        source_updated_at=submitted_at,
        created_at=submitted_at,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # A concurrent replay inserted it first: theirs counts, ours is the same application.
        return Application.objects.get(Q(external_id=external_id) | Q(posting=posting, seeker=seeker))
    # F() keeps concurrent submissions from losing counts; the first application time is the minimum.
    JobPosting.objects.filter(pk=posting.pk).update(application_count=F("application_count") + 1)
    JobPosting.objects.filter(pk=posting.pk, first_application_at__isnull=True).update(
        first_application_at=submitted_at
    )
    JobPosting.objects.filter(pk=posting.pk, first_application_at__gt=submitted_at).update(
        first_application_at=submitted_at
    )
    Seeker.objects.filter(pk=seeker.pk, last_active_at__lt=submitted_at).update(last_active_at=submitted_at)
    audit_record(
        actor=actor,
        action="application.submitted",
        target=application,
        after=snapshot(application, ("posting", "seeker", "status", "message")),
    )
    return application


@transaction.atomic
def application_change_status(
    *, actor: Actor, application: Application, status: str, at: dt.datetime | None = None
) -> Application:
    """Record a status change reported by the marketplace.

    Each transition's timestamp is kept (earliest wins for a replayed status), and the current status is the
    one with the newest time, so out-of-order events converge to the same row.
    """
    if status not in ApplicationStatus.values:
        raise ValidationError({"status": f"Unknown application status {status!r}."})
    locked = Application.objects.select_for_update().get(pk=application.pk)
    at = at or timezone.now()
    before = snapshot(locked, ("status", _APPLICATION_STATUS_TIMESTAMP[status]))
    timestamp_field = _APPLICATION_STATUS_TIMESTAMP[ApplicationStatus(status)]
    recorded = getattr(locked, timestamp_field)
    if recorded is None or at < recorded:
        setattr(locked, timestamp_field, at)
    if at >= locked.status_changed_at:
        locked.status = status
        locked.status_changed_at = at
        locked.source_updated_at = at
    after = snapshot(locked, ("status", timestamp_field))
    if before == after:
        return locked
    locked.save()
    if status == ApplicationStatus.WITHDRAWN:
        # Only the seeker's own actions count as their activity (retention runs on it); an employer viewing
        # or rejecting an application does not keep the seeker's personal data alive.
        Seeker.objects.filter(pk=locked.seeker_id, last_active_at__lt=at).update(last_active_at=at)
    audit_record(actor=actor, action="application.status_changed", target=locked, before=before, after=after)
    return locked
