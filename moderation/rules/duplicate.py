"""Near-duplicates of the same employer's recent postings (P7): the same job posted again and again.

Each posting is compared with the employer's postings of the last ``days`` days that came before it (the
later copy is the duplicate, never the original), newest first and at most ``max_compare`` of them, by
MinHash sketches of the compact text (``moderation.rules.minhash``). The cost per posting is bounded by
``max_compare`` × the sketch size, whatever the employer's volume: no pairwise scan of texts, and each
posting's sketch is computed once per batch. (An inverted index over sketch hashes was tried: an
employer's postings share so much boilerplate — name, address, closing lines — that it found more
candidates than the bounded scan compares, at several times the cost.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules import minhash
from moderation.rules.base import Config, ConfigError, Evaluator, Hit, PostingView, register

STATUSES = ("pending_review", "published", "hidden", "rejected", "closed", "expired")


@register
class DuplicateEvaluator(Evaluator):
    kind = RuleKind.DUPLICATE
    example_config = {"days": 7, "threshold": 0.8, "max_compare": 50, "ignore_statuses": []}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("days", "threshold", "max_compare", "ignore_statuses"))
        self.days = reader.number("days", 7, minimum=0.04, maximum=90)
        self.threshold = reader.number("threshold", 0.8, minimum=0.3, maximum=1.0)
        self.max_compare = int(reader.number("max_compare", 50, minimum=1, maximum=1000, integer=True))
        self.ignore_statuses = frozenset(reader.strings("ignore_statuses"))
        unknown = self.ignore_statuses - set(STATUSES)
        if unknown:
            raise ConfigError(f'"ignore_statuses" may only name posting statuses: {", ".join(STATUSES)}.')

    @property
    def history_days(self) -> float:
        return self.days

    def evaluate(self, view: PostingView) -> Hit | None:
        history = view.history
        if not len(history):
            return None
        lo, hi = history.window(view.created_at, view.posting_id, view.created_at - dt.timedelta(days=self.days))
        lo = max(lo, hi - self.max_compare)
        if lo >= hi:
            return None
        own = view.sketch
        best = None
        best_similarity = 0.0
        for position in range(hi - 1, lo - 1, -1):  # newest first
            entry = history.entries[position]
            if entry.posting_id == view.posting_id or entry.status in self.ignore_statuses:
                continue
            other = entry.sketch
            if not minhash.may_reach(own, other, self.threshold):
                continue
            similarity = minhash.similarity(own, other)
            if similarity >= self.threshold and similarity > best_similarity:
                best, best_similarity = entry, similarity
                if similarity >= 1.0:
                    break
        if best is None:
            return None
        hours = (view.created_at - best.created_at).total_seconds() / 3600
        return Hit(
            summary=_("Near-duplicate (%(similarity)d%% similar) of posting #%(id)s “%(title)s”, %(hours).0f h earlier")
            % {"similarity": round(best_similarity * 100), "id": best.posting_id, "title": best.title, "hours": hours},
            numbers={
                "similarity": round(best_similarity, 3),
                "threshold": self.threshold,
                "other_posting_id": best.posting_id,
                "hours_since_other": round(hours, 1),
            },
            details={
                "other_posting": {
                    "id": best.posting_id,
                    "external_id": best.external_id,
                    "title": best.title,
                    "status": best.status,
                    "created_at": best.created_at.isoformat(),
                }
            },
        )
