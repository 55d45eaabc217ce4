"""Screening rules: one small class per ``RuleKind`` with a pure ``evaluate(view) -> Hit | None``.

Importing the package registers every kind. Callers compile a rule once per distinct config with
``compile_rule(kind, config)`` and evaluate it on ``PostingView``s; ``validate_config`` is what the admin form
calls before a rule is saved.
"""

from moderation.rules import contact, discrimination, duplicate, keywords, patterns, velocity, wage
from moderation.rules.base import (
    ConfigError,
    EmployerHistory,
    Evaluator,
    FieldText,
    HistoryEntry,
    Hit,
    PostingView,
    Span,
    compile_rule,
    evaluator_class,
    evidence_identity,
    registered_kinds,
    validate_config,
)

__all__ = [
    "ConfigError",
    "EmployerHistory",
    "Evaluator",
    "FieldText",
    "HistoryEntry",
    "Hit",
    "PostingView",
    "Span",
    "compile_rule",
    "contact",
    "discrimination",
    "duplicate",
    "evaluator_class",
    "evidence_identity",
    "keywords",
    "patterns",
    "registered_kinds",
    "validate_config",
    "velocity",
    "wage",
]
