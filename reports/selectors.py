"""Reads of the reports app: metric values for a period and filters, from the rollups (what pages use) or
straight from the source tables (what the benchmark compares against, and what tests check rollups with).

Both paths return a ``MetricData``: values keyed by (metric, day, breakdown key, dimension value), already
summed over whatever the filters leave open.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from operator import add
from typing import Any

from django.db.models import BigIntegerField, Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from moderation.models import Case, CaseStatus
from reports.metrics import DIMENSIONS, DURATION_BUCKETS, METRICS, Kind, compute, day_bounds, local_day, percentile
from reports.models import DailyRollup, RollupDay, grain_of


@dataclass(frozen=True)
class Filters:
    """Dimension filters of a report: '' means all. Region is the two-digit province (시도) code."""

    region: str = ""
    category: str = ""
    employment_type: str = ""

    def items(self) -> dict[str, str]:
        return {name: value for name, value in self.as_dict().items() if value}

    def as_dict(self) -> dict[str, str]:
        return {"region": self.region, "category": self.category, "employment_type": self.employment_type}


@dataclass
class Agg:
    """A sum, its number of observations and (durations) the bucket counts: all three add up."""

    value: float = 0.0
    count: int = 0
    histogram: list[int] | None = None

    def add(self, value: float, count: int, histogram: Sequence[int] | None) -> None:
        self.value += value
        self.count += count
        if histogram:
            # A quarter's page sums thousands of histograms: zip/map over the buckets, not an index loop.
            self.histogram = list(histogram) if self.histogram is None else list(map(add, self.histogram, histogram))

    def merge(self, other: Agg) -> None:
        self.add(other.value, other.count, other.histogram)

    @classmethod
    def combine(cls, aggs: Iterable[Agg]) -> Agg:
        """The sum of ``aggs`` in one pass: bucket by bucket over all histograms at once (a quarter's page adds up
        thousands of them; merging one at a time builds a new list per histogram)."""
        aggs = list(aggs)
        histograms = [agg.histogram for agg in aggs if agg.histogram]
        return cls(
            sum((agg.value for agg in aggs), 0.0),
            sum(agg.count for agg in aggs),
            [sum(bucket) for bucket in zip(*histograms, strict=True)] if histograms else None,
        )

    def percentile(self, q: float) -> float | None:
        return percentile(self.histogram, q) if self.histogram else None

    @property
    def mean(self) -> float | None:
        return self.value / self.count if self.count else None


BUCKET_COUNT = len(DURATION_BUCKETS) + 1  # the last bucket is open-ended

Row = tuple[str, dt.date, str, str]  # metric, day, key, dimension value ('' unless grouped by a dimension)


@dataclass
class MetricData:
    start: dt.date
    end: dt.date
    values: dict[Row, Agg] = field(default_factory=dict)
    # Metrics loaded as one sum over the period (their rows carry ``end`` as the day): totals, keys and dimensions
    # are right, per-day series are not available.
    summed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._index: dict[str, list[tuple[Row, Agg]]] | None = None
        self._memo: dict[tuple[str, str], Any] = {}

    def _per_day(self, metric: str) -> None:
        if metric in self.summed:
            raise ValueError(f"{metric} was loaded summed over the period: pass it in ``daily`` to get its days")

    def _select(self, metric: str, key: Callable[[str], bool] | None, dim: str | None) -> Iterable[tuple[Row, Agg]]:
        # Pages ask for the same metric dozens of times: index the rows by metric once (built on first use, after
        # the loader has filled ``values``).
        if self._index is None:
            self._index = defaultdict(list)
            for row, agg in self.values.items():
                self._index[row[0]].append((row, agg))
        for row, agg in self._index.get(metric, ()):
            if (key is None or key(row[2])) and (dim is None or row[3] == dim):
                yield row, agg

    def _memoized(self, kind: str, metric: str, compute: Callable[[], Any]) -> Any:
        """Per-day and per-dimension sums are read inside loops over days and groups: compute each once."""
        if (kind, metric) not in self._memo:
            self._memo[(kind, metric)] = compute()
        return self._memo[(kind, metric)]

    def daily(self, metric: str, *, key: Callable[[str], bool] | None = None) -> dict[dt.date, Agg]:
        """Per day, summed over keys (optionally only those ``key`` accepts); days without data are absent."""
        self._per_day(metric)

        def compute() -> dict[dt.date, Agg]:
            groups: dict[dt.date, list[Agg]] = defaultdict(list)
            for (_, day, _, _), agg in self._select(metric, key, None):
                groups[day].append(agg)
            return {day: Agg.combine(aggs) for day, aggs in groups.items()}

        return compute() if key is not None else self._memoized("daily", metric, compute)

    def total(self, metric: str, *, key: Callable[[str], bool] | None = None) -> Agg:
        """The period's value: the sum over days, or for a level (gauge) its value on the last day."""
        gauge = METRICS[metric].kind == Kind.GAUGE
        rows = self._select(metric, key, None)
        return Agg.combine(agg for (_, day, _, _), agg in rows if not gauge or day == self.end)

    def by_key(self, metric: str, *, part: int | None = None) -> dict[str, Agg]:
        """Per breakdown key (or one ``|``-separated part of it) over the period."""
        gauge = METRICS[metric].kind == Kind.GAUGE
        groups: dict[str, list[Agg]] = defaultdict(list)
        for (_, day, key, _), agg in self._select(metric, None, None):
            if gauge and day != self.end:
                continue
            groups[key.split("|")[part] if part is not None else key].append(agg)
        return {key: Agg.combine(aggs) for key, aggs in groups.items()}

    def daily_by_key(self, metric: str, *, part: int | None = None) -> dict[str, dict[dt.date, Agg]]:
        self._per_day(metric)
        groups: dict[str, dict[dt.date, list[Agg]]] = defaultdict(lambda: defaultdict(list))
        for (_, day, key, _), agg in self._select(metric, None, None):
            groups[key.split("|")[part] if part is not None else key][day].append(agg)
        return {key: {day: Agg.combine(aggs) for day, aggs in days.items()} for key, days in groups.items()}

    def by_dimension(self, metric: str) -> dict[str, Agg]:
        """Per value of the dimension the data was loaded ``by`` (over the period and every key; a level on the
        period's last day, as ``total``)."""

        def compute() -> dict[str, Agg]:
            gauge = METRICS[metric].kind == Kind.GAUGE
            groups: dict[str, list[Agg]] = defaultdict(list)
            for (_, day, _, dim), agg in self._select(metric, None, None):
                if not gauge or day == self.end:
                    groups[dim].append(agg)
            return {dim: Agg.combine(aggs) for dim, aggs in groups.items()}

        return self._memoized("by_dimension", metric, compute)


def _check(metrics: Sequence[str], by: str | None) -> None:
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metric(s): {', '.join(unknown)}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {by!r}: one of {', '.join(DIMENSIONS)}")


def _split(metrics: Sequence[str], daily: Collection[str] | None) -> tuple[set[str], frozenset[str]]:
    per_day = set(metrics) if daily is None else {name for name in metrics if name in daily}
    return per_day, frozenset(name for name in metrics if name not in per_day)


def _grain(queryset: QuerySet[DailyRollup], filters: Filters, by: str | None) -> QuerySet[DailyRollup]:
    """The rollup rows that answer ``filters`` (grouped ``by`` a dimension): the grain whose set dimensions are
    exactly the filtered ones plus ``by`` (the total, a marginal, a pair or the cube), so nothing is summed over a
    dimension left open. Filtering and grouping by the same dimension is that dimension's filtered value."""
    return queryset.filter(grain=grain_of([*filters.items(), *([by] if by else [])]), **filters.items())


def _summed_durations(
    rows: QuerySet[DailyRollup], metrics: Collection[str], group: list[str]
) -> Iterable[tuple[Any, ...]]:
    """Duration rows summed over the period by metric, key and the ``group`` dimension: value, count, buckets.

    Bucket counts are JSON arrays of a fixed length; the database adds them up one bucket per aggregate
    (``histogram->>i`` on PostgreSQL, ``json_extract`` on SQLite), so a quarter of a per-moderator metric comes
    back as one row per moderator instead of thousands of JSON documents for Python to decode.
    """
    keys = ["metric", "breakdown", *group]
    integer = BigIntegerField()
    buckets = {
        f"bucket_{index}": Coalesce(
            Sum(Cast(KeyTextTransform(str(index), "histogram"), integer)), Value(0), output_field=integer
        )
        for index in range(BUCKET_COUNT)
    }
    grouped = (
        rows.filter(metric__in=metrics)
        .values_list(*keys)
        .annotate(total=Sum("value"), observations=Sum("count"), **buckets)
        .order_by()
    )
    for row in grouped:
        head, histogram = row[: len(keys) + 2], list(row[len(keys) + 2 :])
        yield (*head, histogram if any(histogram) else None)


def from_rollups(
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    filters: Filters = Filters(),
    by: str | None = None,
    *,
    daily: Collection[str] | None = None,
    keys: bool = True,
) -> MetricData:
    """Metric values from the daily rollups.

    ``daily`` names the metrics the caller needs day by day (``None``: all of them); the others come summed over
    the period. Pages read tens of thousands of rollup rows for a quarter, and Python time grows with the rows it
    receives, so the rows come from the grain that matches the filters (``_grain``) and sums happen in the database
    wherever they can: over the period for metrics not needed per day, bucket by bucket for durations.
    ``keys=False`` sums over the breakdown keys too (a per-moderator metric read as one series per day).
    """
    _check(metrics, by)
    per_day, summed = _split(metrics, daily)
    data = MetricData(start, end, summed=summed)
    # The breakdown key, or one constant when the caller sums over keys (grouped away in SQL).
    breakdown = F("key") if keys else Value("")
    rows = _grain(DailyRollup.objects.filter(day__gte=start, day__lte=end), filters, by).annotate(breakdown=breakdown)
    group = [by] if by else []
    durations = {name for name in metrics if METRICS[name].kind == Kind.DURATION}

    def put(metric: str, day: dt.date, key: str, dim: list[str], value: float, count: int, histogram: Any) -> None:
        data.values.setdefault((metric, day, key, dim[0] if dim else ""), Agg()).add(value, count, histogram)

    if daily_durations := per_day & durations:
        # Per day there is next to nothing to add up in SQL (at the grain of the filters: a row per day, key, group),
        # and decoding JSON in Python is cheaper than PostgreSQL's per-bucket aggregates: rows as they are.
        columns = ["metric", "day", "breakdown", *group, "value", "count", "histogram"]
        for metric, day, key, *dim, value, count, histogram in rows.filter(metric__in=daily_durations).values_list(
            *columns
        ):
            put(metric, day, key, dim, value, count, histogram)
    if summed_durations := summed & durations:
        for metric, key, *dim, value, count, histogram in _summed_durations(rows, summed_durations, group):
            put(metric, end, key, dim, value, count, histogram)

    def counts(selected: QuerySet[DailyRollup], *, with_day: bool = False) -> QuerySet[DailyRollup, tuple[Any, ...]]:
        """Count rows summed per metric, day (``with_day``), key and group."""
        columns = ["metric", *(["day"] if with_day else []), "breakdown", *group]
        return selected.values_list(*columns).annotate(total=Sum("value"), observations=Sum("count")).order_by()

    if plain_daily := per_day - durations:
        for metric, day, key, *dim, value, count in counts(rows.filter(metric__in=plain_daily), with_day=True):
            put(metric, day, key, dim, value, count, None)
    if plain_summed := summed - durations:
        # A level (gauge) over a period is its value on the last day: only that day's rows.
        gauges = {name for name in plain_summed if METRICS[name].kind == Kind.GAUGE}
        for metric, key, *dim, value, count in counts(
            rows.filter(Q(metric__in=plain_summed - gauges) | Q(metric__in=gauges, day=end))
        ):
            put(metric, end, key, dim, value, count, None)
    return data


def from_source(
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    filters: Filters = Filters(),
    by: str | None = None,
    *,
    daily: Collection[str] | None = None,
    keys: bool = True,
) -> MetricData:
    """The same values computed from the source tables (slow at scale: the benchmark's comparison)."""
    _check(metrics, by)
    per_day, summed = _split(metrics, daily)
    wanted = filters.items()
    data = MetricData(start, end, summed=summed)
    range_start, _ = day_bounds(start)
    _, range_end = day_bounds(end)
    for metric, fact in compute(metrics, range_start, range_end):
        if any(getattr(fact, name) != value for name, value in wanted.items()):
            continue
        if metric in summed and METRICS[metric].kind == Kind.GAUGE and fact.day != end:
            continue  # a level over a period: its last day (as from_rollups)
        dim = getattr(fact, by) if by else ""
        day = fact.day if metric in per_day else end
        key = fact.key if keys else ""
        data.values.setdefault((metric, day, key, dim), Agg()).add(fact.value, fact.count, fact.histogram)
    return data


def missing_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Days of the range the rollup has not computed yet (a page says so instead of showing zeros)."""
    # The marker row commits with the day's rows (one transaction), so its presence means "complete".
    done = set(RollupDay.objects.filter(day__gte=start, day__lte=end).values_list("day", flat=True))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [day for day in days if day not in done]


@dataclass(frozen=True)
class LiveBacklog:
    """The queue right now (read live: two index-backed queries on open cases)."""

    by_band: dict[int, int]
    oldest_opened_at: dt.datetime | None
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_band.values())

    @property
    def oldest_age(self) -> dt.timedelta | None:
        return timezone.now() - self.oldest_opened_at if self.oldest_opened_at else None


def live_backlog(filters: Filters = Filters()) -> LiveBacklog:
    open_cases = Case.objects.exclude(status=CaseStatus.RESOLVED)
    if filters.region:
        open_cases = open_cases.filter(region_code__startswith=filters.region)
    if filters.category:
        open_cases = open_cases.filter(category=filters.category)
    if filters.employment_type:
        open_cases = open_cases.filter(posting__employment_type=filters.employment_type)
    by_band = dict(open_cases.values_list("band").annotate(n=Count("pk")).order_by())
    oldest = open_cases.aggregate(oldest=Min("opened_at"))["oldest"]
    overdue = open_cases.filter(due_at__lt=timezone.now()).count()
    return LiveBacklog(by_band=by_band, oldest_opened_at=oldest, overdue=overdue)


@dataclass(frozen=True)
class DryRunSummary:
    day: dt.date
    requested_by: str
    scanned: int
    rows: list[tuple[str, int, str]]  # rule name, hits, rate as the dry run printed it


def recent_dry_runs(start: dt.date, end: dt.date, limit: int = 10) -> list[DryRunSummary]:
    """Rule dry runs that ran in the background in the period (their results are kept on the job)."""
    from backoffice.models import BackgroundJob, BackgroundJobStatus

    range_start, _ = day_bounds(start)
    _, range_end = day_bounds(end)
    jobs = (
        BackgroundJob.objects.filter(
            kind="moderation.rule_dry_run",
            status=BackgroundJobStatus.SUCCEEDED,
            created_at__gte=range_start,
            created_at__lt=range_end,
        )
        .select_related("requested_by")
        .order_by("-created_at")[:limit]
    )
    out = []
    for job in jobs:
        result = job.result if isinstance(job.result, dict) else {}
        tables = result.get("tables") or [{}]
        rows = [(str(row[0]), int(row[1]), str(row[2])) for row in tables[0].get("rows", []) if len(row) >= 3]
        who = job.requested_by.get_username() if job.requested_by else "system"
        out.append(DryRunSummary(local_day(job.created_at), who, int(result.get("scanned") or 0), rows))
    return out


def last_hit_per_rule(rule_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each rule last fired, ever (one grouped query on the (rule, -created_at) index)."""
    from moderation.models import RuleHit

    rows = RuleHit.objects.filter(rule_id__in=rule_ids).values("rule_id").annotate(last=Max("created_at")).order_by()
    return {row["rule_id"]: row["last"] for row in rows}
