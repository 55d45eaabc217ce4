"""Posting velocity of one employer (P7): dozens of postings an hour is a spam run, not hiring.

Counts the employer's postings created in the hour and the day up to this posting (itself included), so a
dry run over last week judges each posting as screening would have when it arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules.base import Config, ConfigError, Evaluator, Hit, PostingView, register


@register
class VelocityEvaluator(Evaluator):
    kind = RuleKind.VELOCITY
    example_config = {"max_per_hour": 5, "max_per_day": 20}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("max_per_hour", "max_per_day"))
        self.max_per_hour = reader.optional_int("max_per_hour", minimum=1, maximum=10_000)
        self.max_per_day = reader.optional_int("max_per_day", minimum=1, maximum=100_000)
        if self.max_per_hour is None and self.max_per_day is None:
            raise ConfigError('Set "max_per_hour", "max_per_day" or both.')

    @property
    def history_days(self) -> float:
        return 1 if self.max_per_day is not None else 1 / 24

    def evaluate(self, view: PostingView) -> Hit | None:
        history = view.history
        last_hour = 1 + history.count_since(view.created_at, view.posting_id, view.created_at - dt.timedelta(hours=1))
        over_hour = self.max_per_hour is not None and last_hour > self.max_per_hour
        last_day = None
        over_day = False
        if self.max_per_day is not None:
            last_day = 1 + history.count_since(view.created_at, view.posting_id, view.created_at - dt.timedelta(days=1))
            over_day = last_day > self.max_per_day
        if not (over_hour or over_day):
            return None
        return Hit(
            summary=_("%(hour)d postings by this employer in the last hour, %(day)s in the last day")
            % {"hour": last_hour, "day": last_day if last_day is not None else "—"},
            numbers={
                "last_hour": last_hour,
                "last_day": last_day,
                "max_per_hour": self.max_per_hour,
                "max_per_day": self.max_per_day,
            },
        )
