"""Staff actions on the event pipeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backoffice.audit import Actor, audit_record, snapshot
from backoffice.events.processor import REJECTED, RawItem, process_batch
from backoffice.models import DeadLetter, DeadLetterStatus, Transport


@transaction.atomic
def dead_letter_requeue(*, actor: Actor, dead_letter: DeadLetter) -> tuple[bool, str]:
    """Feed a (possibly corrected) dead letter through the processor again. Returns (applied, message)."""
    locked = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    if locked.status != DeadLetterStatus.OPEN:
        return False, "already handled"
    (outcome,) = process_batch(
        [RawItem(raw=locked.raw, ref=f"requeue:{locked.pk}")], transport=Transport.REQUEUE, record_dead_letters=False
    )
    if outcome.status == REJECTED:
        audit_record(actor=actor, action="dead_letter.requeue_failed", target=locked, note=outcome.error)
        return False, outcome.error
    before = snapshot(locked, ("status",))
    locked.status = DeadLetterStatus.REQUEUED
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "resolved_at"])
    audit_record(
        actor=actor,
        action="dead_letter.requeued",
        target=locked,
        before=before,
        after=snapshot(locked, ("status",)),
        metadata={"outcome": outcome.status},
    )
    return True, outcome.status


@transaction.atomic
def dead_letter_edit(*, actor: Actor, dead_letter: DeadLetter, raw: str) -> DeadLetter:
    """Correct a dead letter's payload before re-queueing it; the old and new text are audited."""
    locked = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    before = snapshot(locked, ("raw",))
    locked.raw = raw
    locked.save(update_fields=["raw"])
    audit_record(
        actor=actor, action="dead_letter.edited", target=locked, before=before, after=snapshot(locked, ("raw",))
    )
    return locked


@transaction.atomic
def dead_letter_discard(*, actor: Actor, dead_letter: DeadLetter, note: str = "") -> DeadLetter:
    locked = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    if locked.status == DeadLetterStatus.OPEN:
        locked.status = DeadLetterStatus.DISCARDED
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
        audit_record(actor=actor, action="dead_letter.discarded", target=locked, note=note)
    return locked
