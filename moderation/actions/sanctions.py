"""Sanctions: the strike ladder applied to a case's author, with the account status change and the outbox event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import audit_record
from backoffice.events.outbox import outbox_emit
from jobs.models import AccountStatus, Employer, Seeker
from moderation import policies, selectors
from moderation.actions.common import (
    ModerationError,
    actor_for,
    require,
    set_account_status,
)
from moderation.models import (
    Case,
    Decision,
    ReporterKind,
    Sanction,
    SanctionKind,
    TargetKind,
)


def subject_of(case: Case) -> Employer | Seeker | None:
    if case.target_kind == TargetKind.SEEKER:
        return case.seeker
    return selectors.employer_of(case)


def apply_sanction(
    *,
    user: AbstractBaseUser | None,
    case: Case,
    decision: Decision,
    sanction_kind: str | None,
    sanction_days: int | None,
    clause: str,
) -> Sanction:
    subject = subject_of(case)
    if subject is None:
        raise ModerationError(_("This case has no author to sanction."))
    is_employer = isinstance(subject, Employer)
    prior = selectors.strike_count(employer=subject) if is_employer else selectors.strike_count(seeker=subject)
    requested = SanctionKind(sanction_kind) if sanction_kind else None
    plan = policies.plan_sanction(prior_strikes=prior, requested=requested, requested_days=sanction_days)
    if plan.kind == SanctionKind.BAN:
        require(
            user,
            "moderation.ban_account",
            _("This would ban the account (strike %(strike)d): escalate the case to a senior moderator.")
            % {"strike": plan.strike},
        )
    now = timezone.now()
    until = plan.until(now)
    sanction = Sanction.objects.create(
        subject_kind=ReporterKind.EMPLOYER if is_employer else ReporterKind.SEEKER,
        employer=subject if is_employer else None,
        seeker=None if is_employer else subject,
        kind=plan.kind,
        strike=plan.strike,
        until=until,
        clause=clause,
        decision=decision,
    )
    actor = actor_for(user)
    if plan.kind != SanctionKind.WARNING:
        status = AccountStatus.BANNED if plan.kind == SanctionKind.BAN else AccountStatus.SUSPENDED
        note = f"Strike {plan.strike}, case #{case.pk}"
        set_account_status(subject, status, actor, note, until=until)
    payload: dict[str, Any] = {
        "subject": {"kind": sanction.subject_kind, "id": subject.external_id},
        "sanction": plan.kind,
    }
    if until is not None:
        payload["until"] = until.isoformat()
    outbox_emit(type="sanction.applied", payload=payload)
    audit_record(
        actor=actor, action="sanction.applied", target=sanction, metadata={"case": case.pk, "strike": plan.strike}
    )
    return sanction
