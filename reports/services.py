"""Writes of the reports app: computing daily rollups.

``rollup_days`` recomputes whole days (delete the day's rows, insert the fresh ones, in one transaction per
day, so a page never sees half a day). ``rollup_incremental`` is what the periodic job runs: from the last
watermark to now, plus the past days that late events (``occurred_at`` before the watermark's day) or undone
decisions and appeals changed since the last run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from backoffice.audit import Actor, audit_record
from backoffice.models import InboxEvent
from moderation.models import Appeal, CaseEvent, Decision
from reports.metrics import MAX_REACH_DAYS, METRICS, SEOUL, Fact, compute, day_bounds, local_day
from reports.models import DailyRollup, RollupDay, RollupWatermark

logger = logging.getLogger(__name__)

WATERMARK = "daily"
INSERT_BATCH = 2000


@dataclass(frozen=True)
class RollupResult:
    days: tuple[dt.date, ...]
    rows: int
    duration_ms: int

    def summary(self) -> dict[str, int | str]:
        span = f"{self.days[0]}..{self.days[-1]}" if self.days else "-"
        return {"days": len(self.days), "rows": self.rows, "span": span}


_Agg = list  # [value, count, histogram | None]


def _add(target: _Agg, fact: Fact) -> None:
    target[0] += fact.value
    target[1] += fact.count
    if fact.histogram is not None:
        if target[2] is None:
            target[2] = [0] * len(fact.histogram)
        for index, count in enumerate(fact.histogram):
            target[2][index] += count


def rows_for_day(day: dt.date, facts: Iterable[tuple[str, Fact]]) -> list[DailyRollup]:
    """The day's facts as rollup rows at every grain: the cube, each pair of dimensions, each dimension's marginal
    and the total (see ``reports.models``: every read of a page then finds its rows at one grain)."""
    grains: dict[tuple[str, str, str, str, str], _Agg] = {}
    for metric, fact in facts:
        region_, category_, type_ = fact.region, fact.category, fact.employment_type
        for region, category, employment_type in (
            (region_, category_, type_),
            (region_, category_, ""),
            (region_, "", type_),
            ("", category_, type_),
            (region_, "", ""),
            ("", category_, ""),
            ("", "", type_),
            ("", "", ""),
        ):
            agg = grains.setdefault((metric, fact.key, region, category, employment_type), [0.0, 0, None])
            _add(agg, fact)
    return [
        DailyRollup(
            day=day,
            metric=metric,
            key=key,
            region=region,
            category=category,
            employment_type=employment_type,
            value=value,
            count=count,
            histogram=histogram,
        )
        for (metric, key, region, category, employment_type), (value, count, histogram) in grains.items()
    ]


def rollup_days(*, days: Iterable[dt.date], actor: Actor, reason: str) -> RollupResult:
    """Recompute every metric for ``days`` (each day atomically) and record the run in the audit log."""
    ordered = tuple(sorted(set(days)))
    started = time.monotonic()
    total_rows = 0
    for day in ordered:
        total_rows += _rollup_day(day)
    result = RollupResult(ordered, total_rows, int((time.monotonic() - started) * 1000))
    if ordered:
        audit_record(
            actor=actor,
            action="reports.rolled_up",
            note=reason,
            metadata={"first_day": str(ordered[0]), "last_day": str(ordered[-1]), "days": len(ordered),
                      "rows": total_rows, "duration_ms": result.duration_ms},
        )  # fmt: skip
    return result


@transaction.atomic
def _rollup_day(day: dt.date) -> int:
    started = time.monotonic()
    # The day's marker row is the lock: two runs recomputing the same day (the periodic job and the command)
    # take turns instead of colliding on the unique constraint.
    RollupDay.objects.get_or_create(day=day)
    marker = RollupDay.objects.select_for_update().get(day=day)
    start, end = day_bounds(day)
    rows = rows_for_day(day, compute(METRICS, start, end))
    # Naming the metrics lets the (metric, day) index find the day's rows (rows of metrics no longer defined stay,
    # unread: pages only ask for defined metrics).
    DailyRollup.objects.filter(metric__in=list(METRICS), day=day).delete()
    DailyRollup.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    marker.computed_at = timezone.now()
    marker.duration_ms = int((time.monotonic() - started) * 1000)
    marker.rows = len(rows)
    marker.save(update_fields=["computed_at", "duration_ms", "rows"])
    return len(rows)


def late_days(*, since: dt.datetime, before: dt.datetime) -> set[dt.date]:
    """Past days (before ``before``) that changed after ``since``: events that arrived late for them, and
    decisions undone or appealed (which reopen their case) since then."""
    days: set[dt.date] = set()
    days.update(
        InboxEvent.objects.filter(received_at__gte=since, occurred_at__lt=before)
        .annotate(local=TruncDate("occurred_at", tzinfo=SEOUL))
        .values_list("local", flat=True)
        .distinct()
    )
    days.update(
        Decision.objects.filter(undone_at__gte=since, created_at__lt=before)
        .annotate(local=TruncDate("created_at", tzinfo=SEOUL))
        .values_list("local", flat=True)
        .distinct()
    )
    days.update(
        Appeal.objects.filter(filed_at__gte=since, decision__created_at__lt=before)
        .annotate(local=TruncDate("decision__created_at", tzinfo=SEOUL))
        .values_list("local", flat=True)
        .distinct()
    )
    # An appeal that reopens a resolved case moves its opening (and due time) to the appeal: the days it
    # counted on before — from its first opening (the timeline keeps it) to its old due time, at most the
    # longest SLA later — must forget it.
    longest_sla = dt.timedelta(hours=max(settings.MODERATION["SLA_HOURS"].values()))
    first_openings = CaseEvent.objects.filter(
        case__appeals__filed_at__gte=since, kind="opened", created_at__lt=before
    ).values_list("created_at", flat=True)
    for opened_at in first_openings.distinct():
        day, last = local_day(opened_at), local_day(min(opened_at + longest_sla, before - dt.timedelta(seconds=1)))
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def days_to_recompute(*, watermark: dt.datetime | None, now: dt.datetime) -> tuple[list[dt.date], int]:
    """The days a run at ``now`` must recompute, and how many of them are late (past) days."""
    today = local_day(now)
    if watermark is None:
        first = today - dt.timedelta(days=settings.REPORTS_BACKFILL_DAYS - 1)
        return [first + dt.timedelta(days=i) for i in range((today - first).days + 1)], 0
    # Transactions that committed just after the last run started may carry earlier timestamps: read back a
    # little before the watermark.
    since = watermark - dt.timedelta(seconds=settings.REPORTS_ROLLUP_OVERLAP_SECONDS)
    first = min(local_day(since), today)
    days = {first + dt.timedelta(days=i) for i in range((today - first).days + 1)}
    late = late_days(since=since, before=day_bounds(first)[0])
    for day in late:
        # A late event also changes the cohorts whose window closes up to MAX_REACH_DAYS later.
        for offset in range(MAX_REACH_DAYS + 1):
            if day + dt.timedelta(days=offset) <= today:
                days.add(day + dt.timedelta(days=offset))
    return sorted(days), len(late)


def rollup_incremental(*, now: dt.datetime | None = None) -> dict[str, int | str]:
    """The periodic job: recompute what changed since the watermark, then move the watermark to ``now``."""
    now = now or timezone.now()
    state = RollupWatermark.objects.filter(name=WATERMARK).first()
    days, late = days_to_recompute(watermark=state.watermark if state else None, now=now)
    result = rollup_days(days=days, actor=Actor.system("rollup"), reason="incremental")
    RollupWatermark.objects.update_or_create(name=WATERMARK, defaults={"watermark": now})
    return {**result.summary(), "late_days": late}


def rollup_range(*, first: dt.date, last: dt.date, actor: Actor) -> RollupResult:
    """``manage.py rollup --from --to``: recompute a date range (after a backfill or a data fix)."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return rollup_days(days=days, actor=actor, reason=f"range {first}..{last}")
