"""Decisions on cases, their undo within the window, and second reviews (four-eyes sampling)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import Actor, audit_record
from backoffice.events.outbox import outbox_emit
from jobs.models import AccountStatus, JobPosting, PostingStatus
from moderation import policies, selectors
from moderation.actions.common import (
    ClaimConflictError,
    ModerationError,
    StaleCaseError,
    actor_for,
    already_decided,
    bump,
    check_can_work_on,
    config,
    lock_case,
    require,
    rescore,
    set_account_status,
    set_posting_status,
    timeline,
)
from moderation.actions.sanctions import apply_sanction
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    Decision,
    DecisionAction,
    PolicyClause,
    ReasonTemplate,
    RemoveMode,
    Report,
    ReporterStats,
    ReportStatus,
    ReviewStatus,
    RuleHit,
    Sanction,
    SanctionKind,
    SecondReview,
    TargetKind,
)


# --- decisions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionRequest:
    action: str
    expected_version: int
    reason_template: ReasonTemplate | None = None
    note: str = ""
    remove_mode: str = RemoveMode.HIDE
    sanction_kind: str | None = None
    sanction_days: int | None = None


_TEMPLATE_ACTIONS = {
    DecisionAction.APPROVE: {DecisionAction.APPROVE, DecisionAction.DISMISS},
    DecisionAction.DISMISS: {DecisionAction.DISMISS, DecisionAction.APPROVE},
    DecisionAction.REMOVE: {DecisionAction.REMOVE, DecisionAction.SANCTION},
    DecisionAction.SANCTION: {DecisionAction.SANCTION, DecisionAction.REMOVE},
}


def _validate_request(user: AbstractBaseUser | None, case: Case, request: DecisionRequest) -> None:
    if request.action not in DecisionAction.values:
        raise ModerationError(_("Unknown action."))
    if request.action == DecisionAction.ESCALATE:
        if not request.note.strip():
            raise ModerationError(_("Say in the note why the case needs a senior moderator."))
        if case.status == CaseStatus.ESCALATED:
            raise ModerationError(_("This case is already escalated."))
        return
    template = request.reason_template
    if template is None:
        raise ModerationError(_("Choose a reason template: it is the text the user is shown."))
    if not template.active or template.action not in _TEMPLATE_ACTIONS[DecisionAction(request.action)]:
        raise ModerationError(_("This reason template does not fit the chosen action."))
    if request.action == DecisionAction.REMOVE and case.target_kind != TargetKind.POSTING:
        raise ModerationError(_("Accounts are not removed: sanction the account instead."))
    if request.action == DecisionAction.REMOVE and request.remove_mode not in RemoveMode.values:
        raise ModerationError(_("Choose hide or reject."))
    if request.sanction_kind is not None and request.sanction_kind not in SanctionKind.values:
        raise ModerationError(_("Unknown sanction."))


def _posting_to(case: Case, status: str, actor: Actor, note: str) -> tuple[str, str]:
    posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
    before = posting.status
    if before != status:
        set_posting_status(posting, status, actor, note)
    return before, status


def _resolve_reports(case: Case, *, upheld: bool, now: dt.datetime) -> list[Report]:
    reports = list(Report.objects.select_for_update().filter(case=case, status=ReportStatus.OPEN))
    outcome = ReportStatus.UPHELD if upheld else ReportStatus.DISMISSED
    counter = "reports_upheld" if upheld else "reports_dismissed"
    for report in reports:
        report.status = outcome
        report.resolved_at = now
        report.save(update_fields=["status", "resolved_at"])
        ReporterStats.objects.filter(
            reporter_kind=report.reporter_kind, reporter_external_id=report.reporter_external_id
        ).update(**{counter: F(counter) + 1})
        outbox_emit(
            type="report.resolved",
            payload={"report_id": report.external_id, "outcome": "actioned" if upheld else "dismissed"},
        )
    return reports


@transaction.atomic
def case_decide(
    *, user: AbstractBaseUser | None, case: Case, request: DecisionRequest, draw: float | None = None
) -> Decision:
    """Decide a case: approve, remove, escalate, sanction the author, or dismiss the reports.

    ``user`` None means the system decides. The decision is refused when the case changed since the
    moderator saw it (``expected_version``), when someone else holds a live claim, or when the user's role
    does not allow it; otherwise it is applied once, audited and announced through the outbox.
    """
    locked = lock_case(case)
    if user is not None:
        check_can_work_on(user, locked)
    elif locked.status == CaseStatus.RESOLVED:
        raise ModerationError(already_decided(locked))
    if locked.version != request.expected_version:
        last = locked.events.order_by("-created_at", "-id").first()
        raise StaleCaseError(
            _("The case changed while you were looking at it (%(what)s). Nothing was applied: reload and decide again.")
            % {"what": f"{last.actor_label}: {last.message}" if last else _("new activity")}
        )
    now = timezone.now()
    if user is not None and locked.claim_is_live(now) and locked.claimed_by_id != user.pk:
        raise ClaimConflictError(
            _("%(name)s holds the claim on this case; ask them or a senior moderator.")
            % {"name": locked.claimed_by.get_username()}
        )
    _validate_request(user, locked, request)
    action = DecisionAction(request.action)
    actor = actor_for(user)
    template = request.reason_template
    clause = template.clause if template else ""

    decision = Decision.objects.create(
        case=locked,
        action=action,
        moderator=user,
        reason_template=template,
        clause=clause,
        note=request.note,
        remove_mode=request.remove_mode if action in (DecisionAction.REMOVE, DecisionAction.SANCTION) else "",
        case_version=locked.version,
        created_at=now,
    )
    note = f"Case #{locked.pk}: {action.label}"
    posting_before = posting_after = ""
    if locked.target_kind == TargetKind.POSTING:
        if action in (DecisionAction.REMOVE, DecisionAction.SANCTION):
            status = PostingStatus.REJECTED if request.remove_mode == RemoveMode.REJECT else PostingStatus.HIDDEN
            posting_before, posting_after = _posting_to(locked, status, actor, note)
        elif action == DecisionAction.APPROVE or (action == DecisionAction.DISMISS and locked.auto_hidden):
            posting = locked.posting
            if posting is not None and posting.status in (
                PostingStatus.PENDING_REVIEW,
                PostingStatus.HIDDEN,
                PostingStatus.REJECTED,
            ):
                posting_before, posting_after = _posting_to(locked, PostingStatus.PUBLISHED, actor, note)
    if action == DecisionAction.SANCTION:
        apply_sanction(
            user=user,
            case=locked,
            decision=decision,
            sanction_kind=request.sanction_kind,
            sanction_days=request.sanction_days,
            clause=clause,
        )
    decision.posting_status_before = posting_before
    decision.posting_status_after = posting_after
    decision.save(update_fields=["posting_status_before", "posting_status_after"])
    if posting_before != posting_after and locked.posting is not None:
        outbox_emit(
            type="posting.moderated",
            payload={
                "posting_id": locked.posting.external_id,
                "status": posting_after,
                "reason_code": clause or PolicyClause.NONE,
                "decided_by": "staff" if user is not None else "system",
                "case_id": str(locked.pk),
            },
        )

    fields = ["status", "claimed_by", "claimed_at", "claim_expires_at", "last_decision_action"]
    locked.last_decision_action = action
    locked.claimed_by = None
    locked.claimed_at = None
    locked.claim_expires_at = None
    if action == DecisionAction.ESCALATE:
        locked.status = CaseStatus.ESCALATED
        locked.escalated_at = now
        rescore(locked)
        fields += ["escalated_at", "score", "band", "due_at"]
    else:
        upheld = action in policies.UPHOLDING_ACTIONS
        locked.status = CaseStatus.RESOLVED
        locked.resolved_at = now
        fields += ["resolved_at"]
        _resolve_reports(locked, upheld=upheld, now=now)
        RuleHit.objects.filter(case=locked).update(confirmed=upheld)
        for appeal in Appeal.objects.select_for_update().filter(case=locked, status=AppealStatus.PENDING):
            overturned = policies.appeal_overturns(appeal.decision.action, action)
            appeal.status = AppealStatus.OVERTURNED if overturned else AppealStatus.UPHELD
            appeal.resolved_at = now
            appeal.resolution = decision
            appeal.save(update_fields=["status", "resolved_at", "resolution"])
        share = config()["SECOND_REVIEW_SHARE"]
        if user is not None and policies.should_sample_for_second_review(
            action=action, share=share, draw=random.random() if draw is None else draw
        ):
            SecondReview.objects.create(decision=decision)
    bump(locked, *fields)
    audit_record(
        actor=actor,
        action="case.decided",
        target=locked,
        before={"posting_status": posting_before} if posting_before else None,
        after={"posting_status": posting_after} if posting_after else None,
        note=request.note,
        metadata={
            "decision": decision.pk,
            "action": action,
            "reason_template": template.code if template else None,
            "clause": clause,
            "case_version": request.expected_version,
        },
    )
    timeline(
        locked,
        "decided",
        actor,
        f"{action.label}"
        + (f" — {template.title}" if template else "")
        + (f" — {request.note}" if request.note else ""),
    )
    return decision


@transaction.atomic
def decision_undo(*, user: AbstractBaseUser, decision: Decision, note: str = "") -> Decision:
    """Undo a mistaken decision within the undo window: the posting, sanction, reports and case go back to
    how they were, and the undo is audited and announced like any decision."""
    case = lock_case(decision.case)
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.undone_at is not None:
        raise ModerationError(_("This decision was already undone."))
    if decision.moderator_id is None:
        raise ModerationError(_("Automatic decisions are reversed by deciding the case, not by undo."))
    if decision.moderator_id != user.pk:
        require(user, "moderation.undo_decision", _("Only the moderator who decided, or a senior, can undo it."))
    window = dt.timedelta(minutes=config()["UNDO_MINUTES"])
    now = timezone.now()
    if now - decision.created_at > window:
        raise ModerationError(_("The undo window has passed; file a correction as a new decision or an appeal."))
    latest = case.decisions.filter(undone_at__isnull=True).order_by("-created_at", "-id").first()
    if latest is None or latest.pk != decision.pk:
        raise ModerationError(_("Only the latest decision on a case can be undone."))
    if Case.objects.filter(target_key=case.target_key).exclude(pk=case.pk).exclude(status=CaseStatus.RESOLVED).exists():
        raise ModerationError(_("A newer case is open for this target; decide that one instead."))
    actor = Actor.staff(user)
    if decision.posting_status_before and decision.posting_status_after and case.posting_id:
        posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
        if posting.status == decision.posting_status_after:
            set_posting_status(posting, decision.posting_status_before, actor, f"Undo of decision {decision.pk}")
            outbox_emit(
                type="posting.moderated",
                payload={
                    "posting_id": posting.external_id,
                    "status": decision.posting_status_before,
                    "reason_code": "undo",
                    "decided_by": "staff",
                    "case_id": str(case.pk),
                },
            )
    for sanction in Sanction.objects.select_for_update().filter(decision=decision, revoked_at__isnull=True):
        sanction.revoked_at = now
        sanction.save(update_fields=["revoked_at"])
        subject = sanction.employer or sanction.seeker
        still_sanctioned = (
            selectors.active_sanctions(employer=sanction.employer, seeker=sanction.seeker)
            .exclude(kind=SanctionKind.WARNING)
            .exists()
        )
        if sanction.kind != SanctionKind.WARNING and not still_sanctioned:
            set_account_status(subject, AccountStatus.ACTIVE, actor, "Undo")
        audit_record(actor=actor, action="sanction.revoked", target=sanction, note="Undo")
    if decision.action != DecisionAction.ESCALATE:
        upheld = decision.action in policies.UPHOLDING_ACTIONS
        counter = "reports_upheld" if upheld else "reports_dismissed"
        for report in (
            Report.objects.select_for_update()
            .filter(case=case, resolved_at=case.resolved_at)
            .exclude(status=ReportStatus.OPEN)
        ):
            report.status = ReportStatus.OPEN
            report.resolved_at = None
            report.save(update_fields=["status", "resolved_at"])
            ReporterStats.objects.filter(
                reporter_kind=report.reporter_kind, reporter_external_id=report.reporter_external_id
            ).update(**{counter: F(counter) - 1})
        RuleHit.objects.filter(case=case).update(confirmed=None)
        Appeal.objects.filter(resolution=decision).update(
            status=AppealStatus.PENDING, resolved_at=None, resolution=None
        )
        SecondReview.objects.filter(decision=decision, status=ReviewStatus.PENDING).delete()
    decision.undone_at = now
    decision.undone_by = user
    decision.save(update_fields=["undone_at", "undone_by"])
    # Reopen for the moderator who undid it: they are about to decide again.
    case.status = (
        CaseStatus.ESCALATED if case.escalated_at and decision.action != DecisionAction.ESCALATE else CaseStatus.OPEN
    )
    if decision.action == DecisionAction.ESCALATE:
        case.escalated_at = None
    case.resolved_at = None
    case.last_decision_action = ""
    case.claimed_by = user
    case.claimed_at = now
    case.claim_expires_at = now + dt.timedelta(minutes=config()["CLAIM_MINUTES"])
    rescore(case)
    bump(
        case,
        "status",
        "escalated_at",
        "resolved_at",
        "last_decision_action",
        "claimed_by",
        "claimed_at",
        "claim_expires_at",
        "score",
        "band",
        "due_at",
    )
    audit_record(actor=actor, action="decision.undone", target=case, note=note, metadata={"decision": decision.pk})
    timeline(case, "undone", actor, f"Undid: {decision.get_action_display()}")
    return decision


@transaction.atomic
def second_review_complete(
    *, user: AbstractBaseUser, review: SecondReview, agreed: bool, note: str = ""
) -> SecondReview:
    require(user, "moderation.decide_case", _("You do not have permission to review decisions."))
    locked = SecondReview.objects.select_for_update().select_related("decision").get(pk=review.pk)
    if locked.status != ReviewStatus.PENDING:
        raise ModerationError(_("This review is already done."))
    if locked.decision.moderator_id == user.pk:
        raise PermissionDenied(_("A second review must be done by a different moderator."))
    locked.status = ReviewStatus.AGREED if agreed else ReviewStatus.DISAGREED
    locked.reviewer = user
    locked.note = note
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "reviewer", "note", "completed_at"])
    audit_record(
        actor=Actor.staff(user), action="second_review.completed", target=locked, note=note, metadata={"agreed": agreed}
    )
    timeline(
        locked.decision.case,
        "second_review",
        Actor.staff(user),
        "Second review: " + ("agreed" if agreed else "disagreed"),
    )
    return locked
