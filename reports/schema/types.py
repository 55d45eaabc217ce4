"""The reports app's GraphQL types: a metric's definition, and its daily values for a period (``MetricSeries``).

Every type needs ``reports:read`` (``required_scope``: ``limits.check_limits`` collects it for any field that
reaches the type, so a request without the scope is refused before anything runs). The roots they resolve from
are plain objects (``reports.metrics.Metric`` and the dataclasses below): no graphene instance per point.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import graphene

from backoffice.models import ApiScope
from jobs.models import Category, EmploymentType
from jobs.regions import PROVINCES
from reports.metrics import Kind, Metric
from reports.selectors import Agg, MetricData

READ = ApiScope.REPORTS_READ

# Dimension values a breakdown can return: each dimension's known values and ``~`` (unknown).
DIMENSION_VALUES: dict[str, int] = {
    "region": len(PROVINCES) + 1,
    "category": len(Category.values) + 1,
    "employment_type": len(EmploymentType.values) + 1,
}


class MetricDimension(graphene.Enum):
    """A dimension of the marketplace a metric can be broken down by."""

    REGION = "region"
    CATEGORY = "category"
    EMPLOYMENT_TYPE = "employment_type"

    @property
    def description(self) -> str:
        return {
            "region": "The province (시도): its two-digit code, `~` when unknown.",
            "category": "The posting's job category (`food_service`, `retail`, …), `~` when unknown.",
            "employment_type": "full_time, part_time or freelance, `~` when unknown.",
        }[self.value]


class MetricFields:
    """What a metric is: the fields a definition and a series share."""

    name = graphene.String(required=True, description="The metric's name (`cases_opened`, `time_to_decision`, …).")
    label = graphene.String(required=True, description="Its short title, in the request's language (Accept-Language).")
    description = graphene.String(
        required=True, description="What it counts, in the request's language (Accept-Language)."
    )
    unit = graphene.String(required=True, description="`count` or `seconds`.")
    kind = graphene.String(
        required=True,
        description="`count` (additive), `duration` (a distribution: sum, count, percentiles) or `gauge` (a level "
        "at the end of each day: a period's value is its last day's).",
    )
    key_label = graphene.String(
        required=True,
        description='What a point\'s `key` is (`band`, `moderator`, `rule|mode`, …; parts joined by `|`), "" when '
        "the metric has no breakdown key.",
    )


class MetricDefinition(MetricFields, graphene.ObjectType):
    """A metric the reports compute every day."""

    required_scope = READ
    reach_days = graphene.Int(
        required=True,
        description="For cohorts that close after a window (a posting's first 7 days …): how many days after an "
        "event its value can still change; 0 otherwise.",
    )


class MetricPoint(graphene.ObjectType):
    """One day of a metric for one breakdown key and one dimension value (summed over the dimensions left open)."""

    required_scope = READ
    day = graphene.Date(required=True, description="The day (Asia/Seoul).")
    key = graphene.String(required=True, description='The breakdown key (see `keyLabel`), "" when none.')
    dimension_value = graphene.String(
        required=True, description='The value of the dimension asked for (`~` when unknown), "" without `dimension`.'
    )
    value = graphene.Float(
        required=True, description="The sum: for counts and gauges the number of things, for durations seconds."
    )
    count = graphene.Int(required=True, description="How many observations the sum is made of.")
    mean = graphene.Float(description="Durations: the mean in seconds (null for other kinds).")
    p50 = graphene.Float(
        description="Durations: the median in seconds, interpolated within the histogram bucket (null otherwise)."
    )
    p90 = graphene.Float(
        description="Durations: the 90th percentile in seconds, interpolated within its bucket (null otherwise)."
    )


class MetricSeries(MetricFields, graphene.ObjectType):
    """A metric's daily values over a period, from the daily rollups: a day without data has no point (nor has a
    day the rollup has not computed yet)."""

    required_scope = READ
    from_ = graphene.Date(name="from", required=True, description="The first day of the period.")
    to = graphene.Date(required=True, description="The last day of the period (included).")
    points = graphene.List(
        graphene.NonNull(MetricPoint),
        required=True,
        description="Sorted by day, key and dimension value.",
    )


@dataclass(frozen=True, slots=True)
class Point:
    """A ``MetricPoint``'s root: the mean and percentiles are computed only when the query asks for them."""

    day: dt.date
    key: str
    dimension_value: str
    agg: Agg
    duration: bool

    @property
    def value(self) -> float:
        return self.agg.value

    @property
    def count(self) -> int:
        return self.agg.count

    @property
    def mean(self) -> float | None:
        return self.agg.mean if self.duration else None

    @property
    def p50(self) -> float | None:
        return self.agg.percentile(0.5) if self.duration else None

    @property
    def p90(self) -> float | None:
        return self.agg.percentile(0.9) if self.duration else None


@dataclass(frozen=True)
class Series:
    name: str
    label: str
    description: str
    unit: str
    kind: str
    key_label: str
    from_: dt.date
    to: dt.date
    points: list[Point]


def series(metric: Metric, data: MetricData) -> Series:
    """The root a ``MetricSeries`` resolves from: ``data`` (one metric) as points in order."""
    duration = metric.kind == Kind.DURATION
    points = [
        Point(day, key, dimension_value, agg, duration)
        for (_, day, key, dimension_value), agg in sorted(data.values.items(), key=lambda item: item[0])
    ]
    return Series(
        name=metric.name,
        label=metric.label,
        description=metric.description,
        unit=metric.unit,
        kind=metric.kind,
        key_label=metric.key_label,
        from_=data.start,
        to=data.end,
        points=points,
    )
