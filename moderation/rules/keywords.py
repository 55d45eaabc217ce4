"""Keyword lists (P1 false ads, P5 money-mule recruitment, P6 fees, P8 adult venues …).

Matching is spacing- and punctuation-insensitive ("현금수거", "현 금 수 거", "현금-수거" and "현금\u200b수거" all
match "현금 수거"): phrases and text are compared in their compact form, and each match is mapped back to the
original characters for the evidence. ``exclude`` phrases veto a match they overlap ("교육비 지원" is a
benefit, not a fee), or that end at most ``exclude_window`` compact characters before it ("입사 시 … 통장
사본" asks for payroll documents after hiring, not before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules.base import Config, ConfigError, Evaluator, Hit, PostingView, Span, register
from moderation.rules.normalize import compact_text, merge_spans

MAX_SPANS = 20


def _occurrences(text: str, needle: str) -> list[int]:
    found = []
    index = text.find(needle)
    while index >= 0:
        found.append(index)
        index = text.find(needle, index + 1)
    return found


@register
class KeywordsEvaluator(Evaluator):
    kind = RuleKind.KEYWORDS
    example_config = {"phrases": ["현금 수거", "통장 대여"], "exclude": ["교육비 지원"], "exclude_window": 0}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("phrases", "exclude", "exclude_window", "fields"))
        # compact form → the phrase as staff wrote it (shown in the evidence).
        self.phrases: dict[str, str] = {}
        for phrase in reader.strings("phrases", required=True):
            key = compact_text(phrase)
            if not key:
                raise ConfigError(f"The phrase {phrase!r} is only spacing or punctuation.")
            self.phrases.setdefault(key, phrase)
        self.exclude = [key for key in (compact_text(p) for p in reader.strings("exclude")) if key]
        self.exclude_window = int(reader.number("exclude_window", 0, minimum=0, maximum=100, integer=True))
        self.fields = reader.fields()

    def _excluded(self, text: str) -> list[tuple[int, int]]:
        return [(i, i + len(key)) for key in self.exclude for i in _occurrences(text, key)]

    def evaluate(self, view: PostingView) -> Hit | None:
        spans: list[Span] = []
        matched: list[str] = []
        for field_text in view.fields:
            if field_text.name not in self.fields:
                continue
            compact = field_text.compact
            text = compact.text
            found = [(i, i + len(key), key) for key in self.phrases if key in text for i in _occurrences(text, key)]
            if not found:
                continue
            vetoes = self._excluded(text) if self.exclude else []
            kept: list[tuple[int, int]] = []
            for start, end, key in found:
                if any(v_start < end and start < v_end for v_start, v_end in vetoes):
                    continue
                if self.exclude_window and any(0 <= start - v_end <= self.exclude_window for _, v_end in vetoes):
                    continue
                kept.append((start, end))
                if self.phrases[key] not in matched:
                    matched.append(self.phrases[key])
            spans.extend(field_text.span(compact, start, end) for start, end in merge_spans(kept))
        if not spans:
            return None
        return Hit(
            summary=_("Matched: %(phrases)s") % {"phrases": ", ".join(matched)},
            spans=tuple(spans[:MAX_SPANS]),
            numbers={"matches": len(spans)},
            details={"phrases": matched},
        )
