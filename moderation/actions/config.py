"""Configuration records staff edit: reason templates (the words users read) and screening rules."""

from __future__ import annotations

from django.db import transaction

from backoffice.audit import Actor, audit_record, snapshot
from moderation.models import (
    ReasonTemplate,
    Rule,
)

# --- configuration records ------------------------------------------------------------------------------
_TEMPLATE_FIELDS = ("code", "clause", "action", "title", "text_ko", "text_en", "active")
_RULE_FIELDS = ("name", "kind", "clause", "config", "weight", "mode", "enabled")


@transaction.atomic
def reason_template_save(*, actor: Actor, template: ReasonTemplate) -> ReasonTemplate:
    """Create or edit a reason template (the words users read), audited with the old and new text."""
    before = {}
    if template.pk:
        before = snapshot(ReasonTemplate.objects.select_for_update().get(pk=template.pk), _TEMPLATE_FIELDS)
    template.full_clean()
    template.save()
    audit_record(
        actor=actor,
        action="reason_template.changed" if before else "reason_template.created",
        target=template,
        before=before,
        after=snapshot(template, _TEMPLATE_FIELDS),
    )
    return template


@transaction.atomic
def rule_save(*, actor: Actor, rule: Rule) -> Rule:
    """Create or edit a screening rule (mode, weight, config), audited: a rule change changes outcomes."""
    from moderation.rules.base import validate_config

    # Every entry point gets the same check as the admin form: an unusable config never reaches screening.
    validate_config(rule.kind, rule.config)
    before = {}
    if rule.pk:
        before = snapshot(Rule.objects.select_for_update().get(pk=rule.pk), _RULE_FIELDS)
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="rule.changed" if before else "rule.created",
        target=rule,
        before=before,
        after=snapshot(rule, _RULE_FIELDS),
    )
    return rule
