"""The daily operations digest e-mailed to the ops admins: the queue, SLA breaches and what automation did.

``daily_digest`` reads (a handful of aggregate queries over indexed columns, whatever the traffic),
``render_digest`` writes plain text in the product's language (Korean by default), and ``digest_send`` hands
it to ``backoffice.notifications.notify`` with one key per Seoul date, so a rerun the same day (a redelivered
message, a manual run from the admin) sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from backoffice.models import ActorKind, AuditLog, NotificationKind
from backoffice.notifications import notify
from backoffice.roles import OPS_ADMIN
from jobs.models import CloseReason, PostingStatus
from moderation.models import Band, Case, CaseStatus

WINDOW = dt.timedelta(hours=24)
SLA_ESCALATED = "case.sla_escalated"  # services.cases_escalate_overdue
AUTO_HIDDEN = "case.auto_hidden"  # services._maybe_auto_hide
POSTING_STATUS_CHANGED = "posting.status_changed"  # jobs.services.posting_change_status


@dataclass(frozen=True)
class BandBacklog:
    band: Band
    open: int
    escalated: int


@dataclass(frozen=True)
class AutoActions:
    """What ``system`` did in the window, counted from the audit log (the legal record of every action)."""

    postings_hidden: int = 0
    postings_expired: int = 0
    postings_closed_no_response: int = 0
    seekers_anonymised: int = 0
    cases_escalated: int = 0


@dataclass(frozen=True)
class Digest:
    date: dt.date  # the Seoul date it is for (the dedup key)
    since: dt.datetime
    until: dt.datetime
    backlog: tuple[BandBacklog, ...]  # most urgent band first
    overdue: int  # unresolved cases past their due time now
    sla_breaches: int  # cases whose due time passed in the window while they were unresolved
    auto: AutoActions
    oldest_case_id: int | None
    oldest_opened_at: dt.datetime | None

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.backlog)

    @property
    def escalated_total(self) -> int:
        return sum(row.escalated for row in self.backlog)


def _sla_breaches(since: dt.datetime, until: dt.datetime) -> int:
    """Cases whose due time passed in the window before a decision. Two sources, because an SLA escalation
    restarts the case's clock (``due_at`` is overwritten): its audit row keeps the breached time. The rest
    (a case decided late under a claim, an escalated case past its second due time) still have ``due_at``."""
    escalated = set(
        AuditLog.objects.filter(action=SLA_ESCALATED, created_at__gt=since, created_at__lte=until).values_list(
            "target_id", flat=True
        )
    )
    late = Case.objects.filter(due_at__gt=since, due_at__lte=until).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("due_at"))
    )
    return len(escalated | {str(pk) for pk in late.values_list("pk", flat=True)})


def daily_digest(*, now: dt.datetime | None = None) -> Digest:
    until = now or timezone.now()
    since = until - WINDOW
    unresolved = Case.objects.exclude(status=CaseStatus.RESOLVED)
    counts: dict[tuple[int, str], int] = {
        (band, status): n
        for band, status, n in unresolved.order_by().values_list("band", "status").annotate(n=Count("id"))
    }
    backlog = tuple(
        BandBacklog(band, counts.get((band, CaseStatus.OPEN), 0), counts.get((band, CaseStatus.ESCALATED), 0))
        for band in sorted(Band, reverse=True)
    )
    oldest = unresolved.order_by("opened_at", "id").values_list("pk", "opened_at").first()
    # One pass over the window's system rows (``created_at`` is indexed); jobs' status changes are told apart by
    # the new values their audit rows record.
    system = AuditLog.objects.filter(actor_kind=ActorKind.SYSTEM, created_at__gt=since, created_at__lte=until)
    tally = system.aggregate(
        postings_hidden=Count("id", filter=Q(action=AUTO_HIDDEN)),
        postings_expired=Count(
            "id", filter=Q(action=POSTING_STATUS_CHANGED, changes__status__1=PostingStatus.EXPIRED.value)
        ),
        postings_closed_no_response=Count(
            "id",
            filter=Q(
                action=POSTING_STATUS_CHANGED,
                changes__status__1=PostingStatus.CLOSED.value,
                changes__close_reason__1=CloseReason.NO_RESPONSE.value,
            ),
        ),
        # The retention job's action on a seeker ("seeker.anonymized" / "…anonymised"): either spelling.
        seekers_anonymised=Count("id", filter=Q(target_type="jobs.seeker", action__contains="anonymi")),
        cases_escalated=Count("id", filter=Q(action=SLA_ESCALATED)),
    )
    return Digest(
        date=timezone.localdate(until),
        since=since,
        until=until,
        backlog=backlog,
        overdue=unresolved.filter(due_at__lt=until).count(),
        sla_breaches=_sla_breaches(since, until),
        auto=AutoActions(**tally),
        oldest_case_id=oldest[0] if oldest else None,
        oldest_opened_at=oldest[1] if oldest else None,
    )


def render_digest(digest: Digest) -> tuple[str, str]:
    """(title, plain-text body) in the active language."""

    def local(moment: dt.datetime) -> str:
        return timezone.localtime(moment).strftime("%m-%d %H:%M")

    title = _("Operations digest for %(date)s") % {"date": digest.date.isoformat()}
    lines = [
        _("Last 24 hours: %(since)s – %(until)s") % {"since": local(digest.since), "until": local(digest.until)},
        "",
        _("Review queue (unresolved cases)"),
    ]
    for row in digest.backlog:
        lines.append(
            "  "
            + _("%(band)s: %(open)d open, %(escalated)d escalated")
            % {"band": row.band.label, "open": row.open, "escalated": row.escalated}
        )
    lines.append(
        "  "
        + _("Total: %(open)d open, %(escalated)d escalated, %(overdue)d overdue")
        % {"open": digest.open_total, "escalated": digest.escalated_total, "overdue": digest.overdue}
    )
    if digest.oldest_case_id is not None and digest.oldest_opened_at is not None:
        lines.append(
            "  "
            + _("Oldest unresolved case: #%(id)s, waiting %(age)s")
            % {"id": digest.oldest_case_id, "age": timesince(digest.oldest_opened_at, digest.until, depth=2)}
        )
    auto = digest.auto
    lines += [
        "",
        _("SLA breaches: %(count)d") % {"count": digest.sla_breaches},
        "",
        _("Automatic actions"),
        "  " + _("Postings hidden automatically: %(count)d") % {"count": auto.postings_hidden},
        "  " + _("Postings expired: %(count)d") % {"count": auto.postings_expired},
        "  " + _("Postings closed for no response: %(count)d") % {"count": auto.postings_closed_no_response},
        "  " + _("Job seekers anonymised: %(count)d") % {"count": auto.seekers_anonymised},
        "  " + _("Cases escalated past their SLA: %(count)d") % {"count": auto.cases_escalated},
    ]
    return title, "\n".join(lines)


def digest_recipients() -> QuerySet[AbstractBaseUser]:
    """Active staff in the Ops admin group."""
    return get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=OPS_ADMIN).distinct()


def digest_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Build, render and send today's digest; returns how many ops admins it reached this time (0 on a rerun
    the same Seoul day: the notification key is the date)."""
    digest = daily_digest(now=now)
    # Workers have no request language: staff read the product's default language (Korean).
    with translation.override(settings.LANGUAGE_CODE):
        title, body = render_digest(digest)
    recipients = list(digest_recipients())
    created = notify(
        recipients=recipients,
        kind=NotificationKind.DIGEST,
        title=title,
        body=body,
        url=reverse("admin:moderation_case_changelist"),
        dedup_key=f"digest:{digest.date.isoformat()}",
        email=True,
    )
    return {"recipients": len(recipients), "sent": len(created)}
