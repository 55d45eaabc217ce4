"""Regular-expression rules, for what a phrase list cannot say ("일당 40만원", a pattern of numbers).

The pattern runs on the clean text (NFKC, no invisible characters; ``compact: true`` for the spacing-free
text), and matches are mapped back to the original. Patterns are checked when the rule is saved: one that
does not compile, matches the empty string (it would fire on every posting) or nests quantifiers (the
classic catastrophic-backtracking shape, which would stall screening) is refused with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules.base import Config, ConfigError, Evaluator, Hit, PostingView, Span, register

MAX_SPANS = 20
# "(a+)+", "(\w*)*", "(x+){2,}": a group ending in a quantifier, itself quantified.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)\s*[+*{]")


def compile_pattern(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ConfigError(f"The pattern is not a valid regular expression: {exc}.") from exc
    if compiled.search("") is not None:
        raise ConfigError("The pattern matches the empty string, so it would fire on every posting.")
    if _NESTED_QUANTIFIER.search(pattern):
        raise ConfigError(
            "The pattern repeats a group that itself ends in a repetition (like (a+)+); such patterns can take "
            "minutes on some texts. Rewrite it without the nested repetition."
        )
    return compiled


@register
class RegexEvaluator(Evaluator):
    kind = RuleKind.REGEX
    example_config = {"pattern": r"(?:일당|하루)\s*[3-9]\d\s*만\s*원", "ignore_case": True, "compact": False}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("pattern", "ignore_case", "compact", "fields"))
        self.pattern = compile_pattern(
            reader.text("pattern", max_length=1000), ignore_case=reader.flag("ignore_case", True)
        )
        self.use_compact = reader.flag("compact", False)
        self.fields = reader.fields()

    def evaluate(self, view: PostingView) -> Hit | None:
        spans: list[Span] = []
        for field_text in view.fields:
            if field_text.name not in self.fields:
                continue
            normalized = field_text.compact if self.use_compact else field_text.clean
            for match in self.pattern.finditer(normalized.text):
                if match.end() > match.start():
                    spans.append(field_text.span(normalized, match.start(), match.end()))
                if len(spans) >= MAX_SPANS:
                    break
        if not spans:
            return None
        return Hit(
            summary=_("Pattern matched: %(text)s") % {"text": ", ".join(dict.fromkeys(s.text for s in spans))},
            spans=tuple(spans),
            numbers={"matches": len(spans)},
        )
