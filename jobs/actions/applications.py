"""Applications: submitted and status changes, reported by the marketplace.

One implementation per write, over a list. Counters on the posting (applications, first application time) and
the seeker's last activity are computed from the locked rows and written once per call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.actions import DomainError, Outcome
from backoffice.audit import Actor
from jobs.actions.common import Audits, Tracked, by_occurrence, locked_by
from jobs.models import Application, ApplicationStatus, JobPosting, Seeker

# Which timestamp records each application status (the funnel metrics read them).
APPLICATION_STATUS_TIMESTAMP = {
    ApplicationStatus.SUBMITTED: "submitted_at",
    ApplicationStatus.VIEWED: "viewed_at",
    ApplicationStatus.SHORTLISTED: "shortlisted_at",
    ApplicationStatus.HIRED: "hired_at",
    ApplicationStatus.REJECTED: "rejected_at",
    ApplicationStatus.WITHDRAWN: "withdrawn_at",
}


@dataclass(frozen=True)
class ApplicationSubmit:
    actor: Actor
    external_id: str
    posting_external_id: str
    seeker_external_id: str
    message: str = ""
    submitted_at: dt.datetime | None = None


@transaction.atomic
def applications_submit(items: Sequence[ApplicationSubmit]) -> list[Outcome[Application]]:
    """Record applications; an application already known (same id, or the same seeker and posting under
    another id: one application per pair) changes nothing, so replays count once. One whose posting or
    seeker is not known yet is parked."""
    known = {
        a.external_id: a for a in Application.objects.filter(external_id__in=sorted({i.external_id for i in items}))
    }
    postings = locked_by(JobPosting, "external_id", (i.posting_external_id for i in items))
    seekers = locked_by(Seeker, "external_id", (i.seeker_external_id for i in items))
    pairs: dict[tuple[int, int], Application] = {}
    if postings and seekers:
        for application in Application.objects.filter(
            posting_id__in=[p.pk for p in postings.values()], seeker_id__in=[s.pk for s in seekers.values()]
        ):
            pairs[(application.posting_id, application.seeker_id)] = application
    applications: Tracked[Application] = Tracked()
    touched_postings: Tracked[JobPosting] = Tracked()
    touched_seekers: Tracked[Seeker] = Tracked()
    audits = Audits()
    outcomes: list[Outcome[Application]] = [Outcome.unchanged(None)] * len(items)
    now = timezone.now()
    for index in by_occurrence(items, lambda item: item.submitted_at):
        item = items[index]
        if item.external_id in known:
            outcomes[index] = Outcome.unchanged(known[item.external_id])
            continue
        posting = postings.get(item.posting_external_id)
        if posting is None:
            outcomes[index] = Outcome.parked(f"posting:{item.posting_external_id}")
            continue
        seeker = seekers.get(item.seeker_external_id)
        if seeker is None:
            outcomes[index] = Outcome.parked(f"seeker:{item.seeker_external_id}")
            continue
        pair = (posting.pk, seeker.pk)
        if pair in pairs:
            outcomes[index] = Outcome.unchanged(pairs[pair])
            continue
        at = item.submitted_at or now
        application = Application(
            external_id=item.external_id,
            posting=posting,
            seeker=seeker,
            message=item.message,
            submitted_at=at,
            status_changed_at=at,
            source_updated_at=at,
            created_at=at,
        )
        try:
            application.clean_fields(exclude=["posting", "seeker"])
        except ValidationError as exc:
            outcomes[index] = Outcome.rejected(DomainError(exc.message_dict))
            continue
        pairs[pair] = known[item.external_id] = application
        applications.add(application)
        posting.application_count += 1
        fields = ["application_count"]
        if posting.first_application_at is None or at < posting.first_application_at:
            posting.first_application_at = at
            fields.append("first_application_at")
        touched_postings.touch(posting, *fields)
        if at > seeker.last_active_at:
            seeker.last_active_at = at
            touched_seekers.touch(seeker, "last_active_at")
        audits.add(
            actor=item.actor,
            action="application.submitted",
            target=application,
            # Model instances are read as their pk when the row is built, after the inserts.
            after={
                "posting": posting,
                "seeker": seeker,
                "status": ApplicationStatus.SUBMITTED,
                "message": item.message,
            },
        )
        outcomes[index] = Outcome.applied(application)
    touched_seekers.write(Seeker, now)
    touched_postings.write(JobPosting, now)
    applications.write(Application, now)
    audits.write()
    return outcomes


@dataclass(frozen=True)
class ApplicationStatusChange:
    actor: Actor
    external_id: str
    status: str
    at: dt.datetime | None = None


@transaction.atomic
def applications_change_status(items: Sequence[ApplicationStatusChange]) -> list[Outcome[Application]]:
    """Record status changes reported by the marketplace.

    Each transition's timestamp is kept (earliest wins for a replayed status), and the current status is the
    one with the newest time, so out-of-order events converge to the same row. A withdrawal is the seeker's
    own action and counts as their activity (retention runs on it); an employer viewing or rejecting does
    not keep the seeker's personal data alive."""
    rows = locked_by(Application, "external_id", (i.external_id for i in items))
    tracked: Tracked[Application] = Tracked()
    audits = Audits()
    withdrawn_activity: dict[int, dt.datetime] = {}
    outcomes: list[Outcome[Application]] = [Outcome.unchanged(None)] * len(items)
    now = timezone.now()
    for index in by_occurrence(items, lambda item: item.at):
        item = items[index]
        if item.status not in ApplicationStatus.values:
            outcomes[index] = Outcome.rejected(
                DomainError({"status": _("Unknown application status %(status)r.") % {"status": item.status}})
            )
            continue
        application = rows.get(item.external_id)
        if application is None:
            outcomes[index] = Outcome.parked(f"application:{item.external_id}")
            continue
        status = ApplicationStatus(item.status)
        at = item.at or now
        timestamp_field = APPLICATION_STATUS_TIMESTAMP[status]
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
            outcomes[index] = Outcome.unchanged(application)
            continue
        tracked.touch(application, *fields)
        if status == ApplicationStatus.WITHDRAWN:
            previous = withdrawn_activity.get(application.seeker_id)
            withdrawn_activity[application.seeker_id] = max(at, previous) if previous else at
        audits.add(
            actor=item.actor, action="application.status_changed", target=application, before=before, after=after
        )
        outcomes[index] = Outcome.applied(application)
    tracked.write(Application, now)
    if withdrawn_activity:
        # One UPDATE for the seekers' activity, the newest wins (seekers are not otherwise locked here).
        ids = sorted(withdrawn_activity)
        Seeker.objects.filter(pk__in=ids).update(
            last_active_at=Greatest(
                F("last_active_at"),
                Case(
                    *[When(pk=pk, then=Value(withdrawn_activity[pk])) for pk in ids],
                    output_field=models.DateTimeField(),
                ),
            )
        )
    audits.write()
    return outcomes
