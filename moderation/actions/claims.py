"""Claims on cases (claim, release, expiry) and the SLA escalation job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.audit import Actor, audit_record
from backoffice.models import NotificationKind
from backoffice.notifications import notify, staff_with_permission
from moderation import selectors
from moderation.actions.common import (
    ClaimConflictError,
    bump,
    check_can_work_on,
    config,
    lock_case,
    require,
    rescore,
    timeline,
)
from moderation.models import (
    Case,
    CaseStatus,
    TargetKind,
)


@transaction.atomic
def case_claim(*, user: AbstractBaseUser, case: Case, now: dt.datetime | None = None) -> Case:
    """Claim a case for a while. A live claim by someone else is refused, except to senior moderators, who
    take it over (audited)."""
    now = now or timezone.now()
    locked = lock_case(case)
    check_can_work_on(user, locked)
    taken_from = None
    if locked.claim_is_live(now) and locked.claimed_by_id != user.pk:
        if not user.has_perm("moderation.takeover_case"):
            raise ClaimConflictError(
                _("%(name)s is working on this case (claim until %(until)s).")
                % {
                    "name": locked.claimed_by.get_username(),
                    "until": timezone.localtime(locked.claim_expires_at).strftime("%H:%M"),
                }
            )
        taken_from = locked.claimed_by.get_username()
    locked.claimed_by = user
    locked.claimed_at = now
    locked.claim_expires_at = now + dt.timedelta(minutes=config()["CLAIM_MINUTES"])
    bump(locked, "claimed_by", "claimed_at", "claim_expires_at")
    actor = Actor.staff(user)
    audit_record(
        actor=actor,
        action="case.claim_taken_over" if taken_from else "case.claimed",
        target=locked,
        metadata={"from": taken_from} if taken_from else None,
    )
    timeline(locked, "claimed", actor, f"Taken over from {taken_from}" if taken_from else "Claimed")
    return locked


@transaction.atomic
def case_release(*, user: AbstractBaseUser, case: Case) -> Case:
    locked = lock_case(case)
    if locked.claimed_by_id is None:
        return locked
    if locked.claimed_by_id != user.pk:
        require(
            user,
            "moderation.takeover_case",
            _("Only the moderator holding the claim, or a senior moderator, can release it."),
        )
    locked.claimed_by = None
    locked.claimed_at = None
    locked.claim_expires_at = None
    bump(locked, "claimed_by", "claimed_at", "claim_expires_at")
    audit_record(actor=Actor.staff(user), action="case.released", target=locked)
    timeline(locked, "released", Actor.staff(user), "Claim released")
    return locked


def claims_release_expired(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Release claims whose time ran out (periodic job, every minute). Each case re-checked under its lock; at
    most ``limit`` per run (bounded memory; the next run takes the rest)."""
    now = now or timezone.now()
    released = 0
    due = Case.objects.filter(claimed_by__isnull=False, claim_expires_at__lte=now).order_by("pk")
    for case_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.claimed_by_id is None or case.claim_expires_at is None or case.claim_expires_at > now:
                continue
            holder = case.claimed_by.get_username()
            case.claimed_by = None
            case.claimed_at = None
            case.claim_expires_at = None
            bump(case, "claimed_by", "claimed_at", "claim_expires_at")
            actor = Actor.system("claim-expiry")
            audit_record(actor=actor, action="case.claim_expired", target=case, metadata={"holder": holder})
            timeline(case, "claim_expired", actor, f"Claim by {holder} expired")
            released += 1
    return released


# --- SLA ------------------------------------------------------------------------------------------------
SLA_ACTOR = "sla"
SLA_BATCH_SIZE = 200


@transaction.atomic
def cases_escalate_overdue(*, now: dt.datetime | None = None, batch_size: int = SLA_BATCH_SIZE) -> list[Case]:
    """Escalate open cases past their due time to the senior moderators, and tell them (the SLA job).

    One transaction per batch, so a case is escalated if and only if its notification exists: a rolled back
    or killed run leaves both undone for the next run, and a case already escalated is no longer OPEN, so a
    rerun never notifies twice. The cases are locked with SKIP LOCKED (a case someone is deciding right now
    is left to the next run) and re-checked under their lock.

    A case under a live claim is skipped: a moderator is deciding it, and escalating would make their decision
    stale (and, for a moderator, forbidden). If it is still open when the claim lapses, the next run takes it.

    As with a moderator's escalation, the SLA clock restarts at ``escalated_at`` (``rescore``): the seniors get
    the band's time to decide. The audit row keeps the breached due time (for the digest and reports); no
    Decision is written, because nobody judged the case: it only moves to the senior queue."""
    now = now or timezone.now()
    live_claim = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    cases = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("posting", "employer", "seeker")
        .filter(status=CaseStatus.OPEN, due_at__lte=now)
        .exclude(live_claim)
        .order_by("due_at", "id")[:batch_size]
    )
    # Row locks re-evaluate the filter on the locked row version; checked again here so the rule is explicit.
    cases = [
        case for case in cases if case.status == CaseStatus.OPEN and case.due_at <= now and not case.claim_is_live(now)
    ]
    if not cases:
        return []
    signals = selectors.case_signals_many(cases)
    actor = Actor.system(SLA_ACTOR)
    breached: list[tuple[Case, dt.datetime]] = []
    for case in cases:
        due_before = case.due_at
        case.status = CaseStatus.ESCALATED
        case.escalated_at = now
        rescore(case, signals[case.pk])
        bump(case, "status", "escalated_at", "score", "band", "due_at")
        audit_record(
            actor=actor,
            action="case.sla_escalated",
            target=case,
            before={"status": CaseStatus.OPEN, "due_at": due_before},
            after={"status": CaseStatus.ESCALATED, "due_at": case.due_at},
            metadata={"breached_due_at": due_before.isoformat(), "band": case.band},
        )
        local_due = timezone.localtime(due_before).strftime("%m-%d %H:%M")
        timeline(case, "sla_escalated", actor, f"Not decided by {local_due} (SLA): escalated to senior moderators")
        breached.append((case, due_before))
    _notify_sla_breaches(breached)
    return [case for case, _due in breached]


def _notify_sla_breaches(breached: Sequence[tuple[Case, dt.datetime]]) -> None:
    """One notification (and e-mail) per batch to everyone who handles escalated cases, listing each case once:
    one mail per run however large a backlog breaches at once (e.g. after a weekend), not one per case."""
    # Workers have no request language: staff read the product's default language (Korean).
    with translation.override(settings.LANGUAGE_CODE):
        count = len(breached)
        lines = [_("Not decided within the SLA; now in the escalated queue for senior moderators:"), ""]
        for case, due_before in breached:
            lines.append(
                f"#{case.pk} [{case.get_band_display()}] {case.get_target_kind_display()} {_sla_subject(case)} — "
                + _("due %(time)s") % {"time": timezone.localtime(due_before).strftime("%Y-%m-%d %H:%M")}
            )
        if count == 1:
            case = breached[0][0]
            title = _("Case #%(id)s is past its SLA and was escalated") % {"id": case.pk}
            url = reverse("admin:moderation_case_change", args=[case.pk])
            # The escalation's version is in the key: a case appealed and breached again is announced again.
            dedup_key = f"sla:{case.pk}:{case.version}"
        else:
            title = ngettext(
                "%(count)d case is past its SLA and was escalated",
                "%(count)d cases are past their SLA and were escalated",
                count,
            ) % {"count": count}
            url = reverse("admin:moderation_case_changelist") + "?queue=escalated"
            first, last = breached[0][0], breached[-1][0]
            dedup_key = f"sla:{first.pk}:{first.version}+{count - 1}:{last.pk}"
        notify(
            recipients=staff_with_permission("moderation.handle_escalated_case"),
            kind=NotificationKind.SLA_BREACH,
            title=title,
            body="\n".join(lines),
            url=url,
            dedup_key=dedup_key,
            email=True,
        )


def _sla_subject(case: Case) -> str:
    """What the case is about, for staff e-mail: a posting's title or a business name; never a seeker's
    personal data (only the marketplace id)."""
    if case.target_kind == TargetKind.POSTING and case.posting is not None:
        return f"«{case.posting.title[:60]}»"
    if case.target_kind == TargetKind.EMPLOYER and case.employer is not None:
        return case.employer.business_name[:60]
    return case.seeker.external_id if case.seeker is not None else ""
