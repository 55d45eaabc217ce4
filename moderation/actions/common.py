"""What the moderation actions share: the errors a moderator reads, configuration, locking a case, its
timeline and version, scoring, opening a target's case and auto-hiding.

Order in every action: lock the case → check (state, version, claim, permission) → change → audit → outbox →
after commit. A decision names the case version it was made on; a stale one is refused, so two moderators
acting at once produce one decision and one clear message, never two decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.actions import DomainError, ErrorCode, one
from backoffice.audit import Actor, audit_record
from backoffice.events.outbox import outbox_emit
from jobs.actions.accounts import AccountStatusChange, accounts_set_status
from jobs.actions.postings import PostingStatusChange, postings_change_status
from jobs.models import Employer, JobPosting, PostingStatus, Seeker
from moderation import policies, selectors
from moderation.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    RemoveMode,
    TargetKind,
    target_key,
)

Target = JobPosting | Employer | Seeker


class ModerationError(DomainError):
    """A refusal the moderator must read: the message says what happened and what to do."""

    default_code = ErrorCode.CONFLICT


class StaleCaseError(ModerationError):
    default_code = ErrorCode.STALE


class ClaimConflictError(ModerationError):
    default_code = ErrorCode.CLAIM_CONFLICT


def config() -> dict[str, Any]:
    return settings.MODERATION


def actor_for(user: AbstractBaseUser | None) -> Actor:
    return Actor.staff(user) if user is not None else Actor.system("moderation")


def require(user: AbstractBaseUser | None, permission: str, message: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(message)


def kind_of(target: Target) -> TargetKind:
    if isinstance(target, JobPosting):
        return TargetKind.POSTING
    if isinstance(target, Employer):
        return TargetKind.EMPLOYER
    return TargetKind.SEEKER


def timeline(case: Case, kind: str, actor: Actor, message: str) -> None:
    CaseEvent.objects.create(
        case=case, kind=kind, actor=actor.user, actor_label=actor.label or actor.kind, message=message[:300]
    )


def bump(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=["version", *fields])
    case.refresh_from_db(fields=["version"])
    transaction.on_commit(selectors.forget_backlog_count)


def open_case_for(target: Target, *, primary_reason: str = "") -> tuple[Case, bool]:
    """The target's unresolved case, locked; a new one when there is none (one open case per target)."""
    kind = kind_of(target)
    key = target_key(kind, target.pk)
    existing = Case.objects.select_for_update().filter(target_key=key).exclude(status=CaseStatus.RESOLVED).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    case = Case(
        target_kind=kind,
        target_key=key,
        primary_reason=primary_reason,
        opened_at=now,
        due_at=policies.due_at(now, policies.Band.LOW, config()["SLA_HOURS"]),
        region_code=getattr(target, "region_code", ""),
        category=getattr(target, "category", ""),
        **{kind.value: target},
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another transaction opened it first: use theirs.
        return Case.objects.select_for_update().get(
            target_key=key, status__in=[CaseStatus.OPEN, CaseStatus.ESCALATED]
        ), False
    return case, True


def rescore(case: Case, signals: policies.CaseSignals | None = None) -> policies.Score:
    """Score, band and due time from the case's signals (read now unless a batch read them already)."""
    signals = signals or selectors.case_signals(case)
    score = policies.score_case(signals)
    band = policies.band_for(score.total, config()["BAND_THRESHOLDS"])
    case.score = score.total
    case.band = band
    start = case.escalated_at or case.opened_at
    case.due_at = policies.due_at(start, band, config()["SLA_HOURS"])
    return score


def maybe_auto_hide(case: Case, *, force: bool = False, reason: str = "") -> bool:
    """Hide a posting at once when its case is alarming enough; the case stays open for a person."""
    if case.target_kind != TargetKind.POSTING or case.auto_hidden:
        return False
    if not force and case.score < config()["AUTO_HIDE_SCORE"]:
        return False
    posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
    if posting.status not in (PostingStatus.PUBLISHED, PostingStatus.PENDING_REVIEW):
        return False
    actor = Actor.system("auto-hide")
    before = posting.status
    set_posting_status(posting, PostingStatus.HIDDEN, actor, reason or f"score {case.score:.0f}")
    decision = Decision.objects.create(
        case=case,
        action=DecisionAction.REMOVE,
        moderator=None,
        remove_mode=RemoveMode.HIDE,
        note=reason or f"Auto-hidden at score {case.score:.0f}",
        posting_status_before=before,
        posting_status_after=PostingStatus.HIDDEN,
        case_version=case.version,
    )
    case.auto_hidden = True
    outbox_emit(
        type="posting.moderated",
        payload={
            "posting_id": posting.external_id,
            "status": PostingStatus.HIDDEN,
            "reason_code": "auto_hide",
            "decided_by": "system",
            "case_id": str(case.pk),
        },
    )
    audit_record(
        actor=actor,
        action="case.auto_hidden",
        target=case,
        metadata={"decision": decision.pk, "score": case.score, "posting": posting.pk},
        note=reason,
    )
    timeline(case, "auto_hidden", actor, f"Posting hidden automatically ({reason or f'score {case.score:.0f}'})")
    return True


def lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def already_decided(case: Case) -> str:
    last = (
        case.decisions.filter(undone_at__isnull=True).select_related("moderator").order_by("-created_at", "-id").first()
    )
    if last is None:
        return _("This case is already resolved.")
    return _("This case was already decided: %(action)s by %(who)s at %(time)s. Nothing was applied.") % {
        "action": last.get_action_display(),
        "who": last.moderator.get_username() if last.moderator else "system",
        "time": timezone.localtime(last.created_at).strftime("%H:%M:%S"),
    }


def check_can_work_on(user: AbstractBaseUser, case: Case) -> None:
    require(user, "moderation.decide_case", _("You do not have permission to work on moderation cases."))
    if case.status == CaseStatus.RESOLVED:
        raise ModerationError(already_decided(case))
    if case.status == CaseStatus.ESCALATED:
        require(user, "moderation.handle_escalated_case", _("Escalated cases are for senior moderators."))
    if case.excluded_moderator_id is not None and case.excluded_moderator_id == user.pk:
        raise PermissionDenied(_("This is an appeal of your own decision: another moderator must decide it."))


def set_posting_status(posting: JobPosting, status: str, actor: Actor, note: str) -> JobPosting:
    """Change a posting's status through the jobs action (audited and announced there); refusals raise."""
    return one(postings_change_status([PostingStatusChange(actor=actor, posting=posting, status=status, note=note)]))


def set_account_status(
    account: Employer | Seeker, status: str, actor: Actor, note: str, until: dt.datetime | None = None
) -> None:
    one(accounts_set_status([AccountStatusChange(actor=actor, account=account, status=status, until=until, note=note)]))
