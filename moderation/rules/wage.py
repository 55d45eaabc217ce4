"""Pay below the legal minimum (P2), judged by the posting's employment-type policy (``jobs.policies``).

The rule adds nothing to the law's arithmetic: the policy knows which wage types the minimum covers, the paid
hours of a monthly wage and the year that applies. The rule supplies the evidence: the numbers a moderator
can check by hand, and where the amount is written in the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jobs.policies import MinimumWageTable, PostingTerms, policy_for
from moderation.models import RuleKind
from moderation.rules.base import DESCRIPTION, TITLE, Config, Evaluator, Hit, PostingView, Span, register


def amount_patterns(amount: int) -> re.Pattern[str]:
    """How the amount may be written: "9,500", "9500", "180만", "1만 320" (digits not part of a longer number)."""
    forms = [re.escape(f"{amount:,}"), str(amount)]
    man, rest = divmod(amount, 10_000)
    if man and not rest:
        forms.append(re.escape(f"{man:,}") + r"\s*만")
        if man >= 1_000:
            forms.append(str(man) + r"\s*만")
    elif man and amount < 100_000:
        forms.append(rf"{man}\s*만\s*{rest:,}".replace(",", ",?"))
    return re.compile(rf"(?<![\d,])(?:{'|'.join(forms)})(?![\d,])")


@register
class MinimumWageEvaluator(Evaluator):
    kind = RuleKind.MIN_WAGE
    example_config = {"tolerance": 0}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("tolerance",))
        # A shortfall up to this many KRW is not reported (rounding in how postings state monthly pay).
        self.tolerance = int(reader.number("tolerance", 0, minimum=0, maximum=1_000_000, integer=True))
        # (employment type, wage type, weekly hours, year) → (the table it was computed with, required KRW).
        self._required: dict[tuple[Any, ...], tuple[MinimumWageTable, int | None]] = {}

    @property
    def needs_wage_table(self) -> bool:
        return True

    def evaluate(self, view: PostingView) -> Hit | None:
        if view.wage_table is None or view.wage_amount <= 0:
            return None
        try:
            policy = policy_for(view.employment_type)
        except ValueError:
            return None
        terms = PostingTerms(
            employment_type=view.employment_type,
            wage_type=view.wage_type,
            wage_amount=view.wage_amount,
            hours_per_week=view.hours_per_week,
            starts_on=view.starts_on,
            ends_on=view.ends_on,
        )
        # The legal minimum depends only on these; most postings pay above it, so the Decimal arithmetic of
        # the policy runs once per distinct key, and in full only for the postings that fall short.
        key = (view.employment_type, view.wage_type, view.hours_per_week, terms.judged_year(view.judged_on))
        cached = self._required.get(key)
        if cached is not None and cached[0] is view.wage_table:
            required = cached[1]
        else:
            minimum = policy.minimum_pay(terms, view.wage_table, view.judged_on)
            required = None if minimum is None else minimum.required_amount
            if len(self._required) > 4096:
                self._required.clear()
            self._required[key] = (view.wage_table, required)
        if required is None or view.wage_amount + self.tolerance >= required:
            return None
        finding = policy.check_wage(terms, view.wage_table, view.judged_on)
        if finding is None or finding.shortfall <= self.tolerance:
            return None
        spans: list[Span] = []
        pattern = amount_patterns(finding.amount)
        for field_text in view.fields:
            if field_text.name in (TITLE, DESCRIPTION):
                normalized = field_text.clean
                for match in pattern.finditer(normalized.text):
                    spans.append(field_text.span(normalized, match.start(), match.end()))
        return Hit(
            summary=str(finding.describe()),
            spans=tuple(spans[:5]),
            numbers={
                "amount": finding.amount,
                "required": finding.minimum.required_amount,
                "shortfall": finding.shortfall,
                "year": finding.minimum.year,
                "hourly_minimum": finding.minimum.hourly_minimum,
                "paid_hours": float(finding.minimum.paid_hours),
                "wage_type": finding.wage_type,
            },
        )
