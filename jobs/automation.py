"""The jobs domain's periodic housekeeping: reminding employers, closing unanswered postings, retention.

Each job is a service (keyword-only, ``now`` injectable, returns counts) that Celery runs through
``jobs.tasks``. They share one shape, because any of them may face a hundred thousand rows and may be run twice:

- candidates are read in batches by **keyset pagination on the primary key** (``pk > last ORDER BY pk LIMIT
  n``): memory is bounded by the batch, not by the backlog, and an OFFSET that slows down as it goes (and skips
  rows when earlier ones stop matching) is avoided;
- every candidate is **re-checked under its row lock** before it is changed, so a concurrent run, a redelivered
  message or a marketplace event that arrived in between changes nothing twice;
- each batch (or each posting, for closing) commits on its own: a run stopped by its time limit keeps what it
  finished, and the next run carries on where the candidates still match;
- every change is audited as ``system`` with a label saying which job made it.

Each returns a dict of counts; ``no_longer_due`` counts candidates that no longer qualified once locked (not
``skipped``, which is what ``periodic_job`` answers when another run holds the job's lock).
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from backoffice.audit import Actor, audit_entry, audit_record_many, snapshot
from backoffice.events.outbox import outbox_emit
from jobs.actions.postings import PostingStatusChange, postings_change_status
from jobs.models import Application, ApplicationStatus, CloseReason, JobPosting, PostingStatus, Seeker

DEFAULT_BATCH_SIZE = 500

# An application still `submitted` this long after it arrived has not been looked at: the employer is nudged.
REMIND_AFTER = dt.timedelta(days=3)
# A reminder lists at most this many application ids (the oldest first) and carries the full count: the
# marketplace needs the count and a sample to word the message, and the payload stays small (EVENTS.md caps
# consumed payloads at 64 KiB; we keep ours well under that too).
REMINDER_MAX_LISTED = 500
REMINDER_EVENT = "employer.reminder"

# A posting whose applicants have heard nothing for this long since the first one applied is closed: it keeps
# attracting applications nobody reads.
CLOSE_AFTER = dt.timedelta(days=14)

# What an anonymised seeker is called. Stored data, not a UI string: it must not depend on the language of
# whoever happened to run the job.
ANONYMISED_NAME = "익명"
SEEKER_PERSONAL_FIELDS = ("display_name", "phone", "birth_year", "anonymized_at")


def _keyset(queryset: models.QuerySet[Any], batch_size: int) -> Iterator[list[int]]:
    """Yield the primary keys of ``queryset`` in ascending batches of at most ``batch_size``.

    Each batch is a fresh query starting after the last key seen, so rows the previous batch changed (and
    that stopped matching) neither shift nor repeat the next one; only one batch of keys is in memory."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    last_pk = 0
    while True:
        pks = list(queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        if len(pks) < batch_size:
            return
        last_pk = pks[-1]


# --- 1. remind employers of unanswered applications -------------------------------------------------------
def _due_applications(cutoff: dt.datetime) -> models.QuerySet[Application]:
    # `submitted` = never viewed nor answered (any status change moves it on); not reminded before.
    return Application.objects.filter(
        status=ApplicationStatus.SUBMITTED, reminded_at__isnull=True, submitted_at__lte=cutoff
    )


def remind_employers(
    *, now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, remind_after: dt.timedelta = REMIND_AFTER
) -> dict[str, int]:
    """Emit one ``employer.reminder`` per live posting that has applications unanswered for ``remind_after``.

    The reminder covers all of the posting's due applications, which are marked (``reminded_at``) in the same
    transaction as the outbox row, so no application is ever part of two reminders and none is marked without
    its event. A daily run therefore reminds each employer at most once a day per posting. Returns counts."""
    now = now or timezone.now()
    cutoff = now - remind_after
    actor = Actor.system("reminders")
    candidates = JobPosting.objects.filter(status=PostingStatus.PUBLISHED).filter(
        Exists(_due_applications(cutoff).filter(posting=OuterRef("pk")))
    )
    counts = {"reminders": 0, "applications": 0, "no_longer_due": 0}
    for posting_ids in _keyset(candidates, batch_size):
        reminders, applications = _remind_batch(posting_ids, now=now, cutoff=cutoff, actor=actor)
        counts["reminders"] += reminders
        counts["applications"] += applications
        counts["no_longer_due"] += len(posting_ids) - reminders
    return counts


@transaction.atomic
def _remind_batch(
    posting_ids: Sequence[int], *, now: dt.datetime, cutoff: dt.datetime, actor: Actor
) -> tuple[int, int]:
    # Lock the postings (not their employers) and re-check they are still live: a posting closed or hidden
    # since the candidate query is not worth a reminder.
    postings = {
        posting.pk: posting
        for posting in JobPosting.objects.select_for_update(of=("self",))
        .select_related("employer")
        .only("external_id", "title", "status", "employer__external_id")
        .filter(pk__in=posting_ids, status=PostingStatus.PUBLISHED)
        .order_by("pk")
    }
    if not postings:
        return 0, 0
    # One UPDATE for the batch, whatever its number of applications. It takes the applications' row locks and
    # re-checks each under its lock (still submitted, still unreminded): one viewed meanwhile is left out.
    if not _due_applications(cutoff).filter(posting_id__in=postings).update(reminded_at=now, updated_at=now):
        return 0, 0
    # The rows just marked are those stamped with this run's `now` (a microsecond timestamp; a rerun with the
    # same `now` marks nothing, the rows it would stamp being reminded already). They stay locked until commit.
    this_run = Application.objects.filter(posting_id__in=postings, reminded_at=now)
    summaries = {
        row["posting_id"]: row
        for row in this_run.order_by().values("posting_id").annotate(count=Count("pk"), oldest=Min("submitted_at"))
    }
    # Each posting's oldest REMINDER_MAX_LISTED, streamed posting by posting: memory holds one posting's list.
    listed = (
        this_run.annotate(
            position=Window(
                RowNumber(), partition_by=[F("posting_id")], order_by=[F("submitted_at").asc(), F("pk").asc()]
            )
        )
        .filter(position__lte=REMINDER_MAX_LISTED)
        .order_by("posting_id", "position")
        .values_list("posting_id", "external_id")
    )
    entries = []
    for posting_id, rows in itertools.groupby(listed.iterator(chunk_size=2000), key=operator.itemgetter(0)):
        posting, summary = postings[posting_id], summaries[posting_id]
        event = outbox_emit(
            type=REMINDER_EVENT,
            payload={
                "employer_id": posting.employer.external_id,
                "posting_id": posting.external_id,
                "application_ids": [external_id for _, external_id in rows],
                "application_count": summary["count"],
                "oldest_submitted_at": summary["oldest"],
            },
            occurred_at=now,
        )
        entries.append(
            audit_entry(
                actor=actor,
                action="posting.employer_reminded",
                target=posting,
                note=f"{summary['count']} application(s) unanswered since {summary['oldest'].isoformat()}.",
                metadata={
                    "applications": summary["count"],
                    "oldest_submitted_at": summary["oldest"],
                    "event_id": event.event_id,
                },
            )
        )
    audit_record_many(entries)
    return len(entries), sum(summary["count"] for summary in summaries.values())


# --- 2. close postings nobody answers ---------------------------------------------------------------------
def _employer_responded() -> models.QuerySet[Application]:
    """Applications of ``OuterRef("pk")`` the employer has acted on, now or ever.

    By the timestamps rather than the status: an application viewed and then withdrawn by its seeker was
    answered; one withdrawn without being viewed was not (the seeker's own step is no response)."""
    return Application.objects.filter(posting=OuterRef("pk")).filter(
        Q(viewed_at__isnull=False)
        | Q(shortlisted_at__isnull=False)
        | Q(hired_at__isnull=False)
        | Q(rejected_at__isnull=False)
    )


def close_unanswered_postings(
    *, now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, unanswered_for: dt.timedelta = CLOSE_AFTER
) -> dict[str, int]:
    """Close (``no_response``) published postings whose first application is ``unanswered_for`` old and none
    of whose applications the employer has viewed or answered. Returns counts."""
    now = now or timezone.now()
    cutoff = now - unanswered_for
    actor = Actor.system("no-response")
    # first_application_at is set by the first application, so it also says "at least one application".
    candidates = JobPosting.objects.filter(status=PostingStatus.PUBLISHED, first_application_at__lte=cutoff).exclude(
        Exists(_employer_responded())
    )
    counts = {"closed": 0, "no_longer_due": 0}
    for posting_ids in _keyset(candidates, batch_size):
        for posting_id in posting_ids:
            # One transaction per posting: closing announces the posting and may fail on its own (a state
            # the machine refuses); it must not undo the postings closed before it.
            if _close_if_unanswered(posting_id, now=now, cutoff=cutoff, actor=actor):
                counts["closed"] += 1
            else:
                counts["no_longer_due"] += 1
    return counts


@transaction.atomic
def _close_if_unanswered(posting_id: int, *, now: dt.datetime, cutoff: dt.datetime, actor: Actor) -> bool:
    posting = (
        JobPosting.objects.select_for_update()
        .filter(pk=posting_id, status=PostingStatus.PUBLISHED, first_application_at__lte=cutoff)
        .exclude(Exists(_employer_responded()))
        .first()
    )
    if posting is None:  # closed, hidden or answered since the candidate query
        return False
    assert posting.first_application_at is not None  # the filter above
    days = (now - posting.first_application_at).days
    postings_change_status(
        [
            PostingStatusChange(
                actor=actor,
                posting=posting,
                status=PostingStatus.CLOSED,
                close_reason=CloseReason.NO_RESPONSE,
                at=now,
                note=(
                    f"Closed automatically: none of its {posting.application_count} application(s) viewed or answered "
                    f"in the {days} days since the first one."
                ),
                metadata={
                    "first_application_at": posting.first_application_at,
                    "application_count": posting.application_count,
                    "unanswered_days": days,
                },
            )
        ]
    )
    return True


# --- 3. retention: anonymise inactive seekers --------------------------------------------------------------
def anonymise_inactive_seekers(
    *, now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, retention_days: int | None = None
) -> dict[str, int]:
    """Anonymise the personal data of seekers inactive for ``RETENTION_SEEKER_DAYS``: name, phone, birth year
    and their applications' messages. Rows stay (with region, status and timestamps), so every count and
    funnel the reports compute is unchanged. Returns counts."""
    now = now or timezone.now()
    days = settings.RETENTION_SEEKER_DAYS if retention_days is None else retention_days
    cutoff = now - dt.timedelta(days=days)
    actor = Actor.system("retention")
    candidates = Seeker.objects.filter(_retention_due(cutoff))
    counts = {"seekers": 0, "messages": 0, "no_longer_due": 0}
    for seeker_ids in _keyset(candidates, batch_size):
        seekers, messages = _anonymise_batch(seeker_ids, now=now, cutoff=cutoff, actor=actor)
        counts["seekers"] += seekers
        counts["messages"] += messages
        counts["no_longer_due"] += len(seeker_ids) - seekers
    return counts


def _retention_due(cutoff: dt.datetime) -> Q:
    """Inactive since ``cutoff`` and not anonymised since their last activity: never anonymised (served by
    seeker_retention_idx), or anonymised once and active again afterwards (a returning seeker's new name,
    phone and messages fall under the same retention period)."""
    return Q(last_active_at__lte=cutoff) & (Q(anonymized_at__isnull=True) | Q(anonymized_at__lt=F("last_active_at")))


@transaction.atomic
def _anonymise_batch(
    seeker_ids: Sequence[int], *, now: dt.datetime, cutoff: dt.datetime, actor: Actor
) -> tuple[int, int]:
    # Re-checked under the lock: a seeker who applied again since the candidate query (last_active_at moved)
    # or whom a concurrent run anonymised is left alone.
    seekers = list(
        Seeker.objects.select_for_update()
        .only("external_id", *SEEKER_PERSONAL_FIELDS)
        .filter(_retention_due(cutoff), pk__in=seeker_ids)
        .order_by("pk")
    )
    if not seekers:
        return 0, 0
    locked_ids = [seeker.pk for seeker in seekers]
    with_message = Application.objects.filter(seeker_id__in=locked_ids).exclude(message="")
    messages_by_seeker = dict(with_message.values("seeker_id").annotate(n=Count("pk")).values_list("seeker_id", "n"))
    messages = with_message.update(message="", updated_at=now)
    Seeker.objects.filter(pk__in=locked_ids).update(
        display_name=ANONYMISED_NAME, phone="", birth_year=None, anonymized_at=now, updated_at=now
    )
    entries = []
    for seeker in seekers:
        before = snapshot(seeker, SEEKER_PERSONAL_FIELDS)
        seeker.display_name, seeker.phone, seeker.birth_year, seeker.anonymized_at = ANONYMISED_NAME, "", None, now
        # Built after the change: the audit row's target text is str(seeker), which must not carry the name.
        # The values themselves are redacted by audit_entry (Seeker.AUDIT_REDACTED_FIELDS).
        entries.append(
            audit_entry(
                actor=actor,
                action="seeker.anonymized",
                target=seeker,
                before=before,
                after=snapshot(seeker, SEEKER_PERSONAL_FIELDS),
                note=f"No activity for the retention period ({(now - cutoff).days} days).",
                metadata={"application_messages_erased": messages_by_seeker.get(seeker.pk, 0)},
            )
        )
    audit_record_many(entries)
    return len(seekers), messages
