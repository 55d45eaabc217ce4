"""Appeals: an appeal reopens the target's case for a different moderator than the one who decided."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import Actor, audit_record
from moderation.actions.common import (
    ModerationError,
    bump,
    lock_case,
    rescore,
    timeline,
)
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    Decision,
)


# --- appeals and second reviews ---------------------------------------------------------------------------
@transaction.atomic
def appeal_file(*, actor: Actor, decision: Decision, text: str = "") -> Appeal:
    """An appeal reopens the target's case for a different moderator than the one who decided."""
    if decision.undone_at is not None:
        raise ModerationError(_("An undone decision cannot be appealed."))
    if Appeal.objects.filter(decision=decision, status=AppealStatus.PENDING).exists():
        raise ModerationError(_("This decision already has a pending appeal."))
    case = lock_case(decision.case)
    if case.status == CaseStatus.RESOLVED:
        newer = (
            Case.objects.select_for_update()
            .filter(target_key=case.target_key)
            .exclude(status=CaseStatus.RESOLVED)
            .first()
        )
        if newer is not None:
            # New reports already reopened the target: the appeal joins that case.
            case = newer
        else:
            now = timezone.now()
            case.status = CaseStatus.OPEN
            case.resolved_at = None
            case.escalated_at = None
            case.opened_at = now
            case.save(update_fields=["status", "resolved_at", "escalated_at", "opened_at"])
    case.is_appeal = True
    case.excluded_moderator_id = decision.moderator_id
    case.claimed_by = None
    case.claimed_at = None
    case.claim_expires_at = None
    rescore(case)
    bump(
        case,
        "is_appeal",
        "excluded_moderator",
        "claimed_by",
        "claimed_at",
        "claim_expires_at",
        "score",
        "band",
        "due_at",
    )
    appeal = Appeal.objects.create(decision=decision, case=case, text=text)
    audit_record(actor=actor, action="appeal.filed", target=appeal, metadata={"case": case.pk, "decision": decision.pk})
    timeline(case, "appealed", actor, f"Appeal of decision {decision.pk} ({decision.get_action_display()})")
    return appeal
