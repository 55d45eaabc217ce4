"""Reads of the reports app: metric values for a period and filters, from the rollups (what pages use) or
straight from the source tables (what the benchmark compares against, and what tests check rollups with).

Both paths return a ``MetricData``: values keyed by (metric, day, breakdown key, dimension value), already
summed over whatever the filters leave open.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min
from django.utils import timezone

from moderation.models import Case, CaseStatus
from reports.metrics import DIMENSIONS, METRICS, Kind, compute, day_bounds, local_day, percentile
from reports.models import DailyRollup, RollupDay


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
            if self.histogram is None:
                self.histogram = [0] * len(histogram)
            for index, bucket in enumerate(histogram):
                self.histogram[index] += bucket

    def merge(self, other: Agg) -> None:
        self.add(other.value, other.count, other.histogram)

    def percentile(self, q: float) -> float | None:
        return percentile(self.histogram, q) if self.histogram else None

    @property
    def mean(self) -> float | None:
        return self.value / self.count if self.count else None


Row = tuple[str, dt.date, str, str]  # metric, day, key, dimension value ('' unless grouped by a dimension)


@dataclass
class MetricData:
    start: dt.date
    end: dt.date
    values: dict[Row, Agg] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index: dict[str, list[tuple[Row, Agg]]] | None = None
        self._memo: dict[tuple[str, str], Any] = {}

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

        def compute() -> dict[dt.date, Agg]:
            out: dict[dt.date, Agg] = defaultdict(Agg)
            for (_, day, _, _), agg in self._select(metric, key, None):
                out[day].merge(agg)
            return dict(out)

        return compute() if key is not None else self._memoized("daily", metric, compute)

    def total(self, metric: str, *, key: Callable[[str], bool] | None = None) -> Agg:
        """The period's value: the sum over days, or for a level (gauge) its value on the last day."""
        if METRICS[metric].kind == Kind.GAUGE:
            out = Agg()
            for (_, day, _, _), agg in self._select(metric, key, None):
                if day == self.end:
                    out.merge(agg)
            return out
        out = Agg()
        for _, agg in self._select(metric, key, None):
            out.merge(agg)
        return out

    def by_key(self, metric: str, *, part: int | None = None) -> dict[str, Agg]:
        """Per breakdown key (or one ``|``-separated part of it) over the period."""
        gauge = METRICS[metric].kind == Kind.GAUGE
        out: dict[str, Agg] = defaultdict(Agg)
        for (_, day, key, _), agg in self._select(metric, None, None):
            if gauge and day != self.end:
                continue
            out[key.split("|")[part] if part is not None else key].merge(agg)
        return dict(out)

    def daily_by_key(self, metric: str, *, part: int | None = None) -> dict[str, dict[dt.date, Agg]]:
        out: dict[str, dict[dt.date, Agg]] = defaultdict(lambda: defaultdict(Agg))
        for (_, day, key, _), agg in self._select(metric, None, None):
            out[key.split("|")[part] if part is not None else key][day].merge(agg)
        return {k: dict(v) for k, v in out.items()}

    def by_dimension(self, metric: str) -> dict[str, Agg]:
        """Per value of the dimension the data was loaded ``by`` (over the period and every key)."""

        def compute() -> dict[str, Agg]:
            out: dict[str, Agg] = defaultdict(Agg)
            for (_, _, _, dim), agg in self._select(metric, None, None):
                out[dim].merge(agg)
            return dict(out)

        return self._memoized("by_dimension", metric, compute)


def _check(metrics: Sequence[str], by: str | None) -> None:
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metric(s): {', '.join(unknown)}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {by!r}: one of {', '.join(DIMENSIONS)}")


def from_rollups(
    metrics: Sequence[str], start: dt.date, end: dt.date, filters: Filters = Filters(), by: str | None = None
) -> MetricData:
    """Metric values from the daily rollups: the grain that answers the filters with the fewest rows."""
    _check(metrics, by)
    wanted = set(filters.items()) | ({by} if by else set())
    queryset = DailyRollup.objects.filter(metric__in=metrics, day__gte=start, day__lte=end)
    if len(wanted) <= 1:
        # The total, or one dimension's marginal: the other dimension columns are empty.
        for name in DIMENSIONS:
            if name not in wanted:
                queryset = queryset.filter(**{name: ""})
            elif filters.as_dict()[name]:
                # Filtered (also when grouped by the same dimension: the group is the filtered value).
                queryset = queryset.filter(**{name: filters.as_dict()[name]})
            else:
                queryset = queryset.exclude(**{name: ""})
    else:
        # Combined filters: the cube (every dimension set), summed over the dimensions left open.
        for name in DIMENSIONS:
            value = filters.as_dict()[name]
            queryset = queryset.filter(**{name: value}) if value else queryset.exclude(**{name: ""})
    data = MetricData(start, end)
    columns = ["metric", "day", "key", "value", "count", "histogram"] + ([by] if by else [])
    for metric, day, key, value, count, histogram, *dim in queryset.values_list(*columns).iterator(chunk_size=5000):
        data.values.setdefault((metric, day, key, dim[0] if dim else ""), Agg()).add(value, count, histogram)
    return data


def from_source(
    metrics: Sequence[str], start: dt.date, end: dt.date, filters: Filters = Filters(), by: str | None = None
) -> MetricData:
    """The same values computed from the source tables (slow at scale: the benchmark's comparison)."""
    _check(metrics, by)
    wanted = filters.items()
    data = MetricData(start, end)
    range_start, _ = day_bounds(start)
    _, range_end = day_bounds(end)
    for metric, fact in compute(metrics, range_start, range_end):
        if any(getattr(fact, name) != value for name, value in wanted.items()):
            continue
        dim = getattr(fact, by) if by else ""
        data.values.setdefault((metric, fact.day, fact.key, dim), Agg()).add(fact.value, fact.count, fact.histogram)
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
