"""The reports app's root fields: ``metrics`` (one metric's daily values for a period, from the rollups) and
``metricDefinitions``. Both need ``reports:read``.

Arguments are checked here and refused with a GraphQL error naming the argument (``extensions.code``
``INVALID``, ``extensions.argument``) before the rollups are read; the values come from
``reports.selectors.from_rollups`` only, never from the source tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from django.utils.translation import gettext_lazy as _
from graphql import GraphQLError

from backoffice.graphql.scopes import requires
from jobs.models import Category, EmploymentType
from jobs.regions import PROVINCES
from reports.forms import MAX_RANGE_DAYS
from reports.metrics import METRICS, Metric
from reports.schema.types import (
    DIMENSION_VALUES,
    READ,
    MetricDefinition,
    MetricDimension,
    MetricSeries,
    Series,
    series,
)
from reports.selectors import Filters, MetricData, from_rollups

# A series is one point per day, breakdown key and dimension value. Keys grow with the data (one per moderator,
# rule or policy clause), so the number of points is capped as well: a series over this is refused.
MAX_POINTS = 50_000

# Each dimension filter: its argument's name and the values it accepts.
FILTER_VALUES: dict[str, tuple[str, list[str]]] = {
    "region": ("region", sorted(PROVINCES)),
    "category": ("category", list(Category.values)),
    "employment_type": ("employmentType", list(EmploymentType.values)),
}


def invalid(argument: str, message: Any) -> GraphQLError:
    return GraphQLError(str(message), extensions={"code": "INVALID", "argument": argument})


def checked_request(
    name: str, start: dt.date, end: dt.date, dimension: Any, filters: dict[str, str | None]
) -> tuple[Metric, Filters, str | None]:
    """The metric, filters and breakdown asked for, or a GraphQL error saying which argument is wrong."""
    metric = METRICS.get(name)
    if metric is None:
        names = ", ".join(METRICS)
        raise invalid("name", _("Unknown metric “%(name)s”: one of %(names)s.") % {"name": name, "names": names})
    if end < start:
        raise invalid("to", _("The period ends (%(to)s) before it starts (%(from)s).") % {"to": end, "from": start})
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise invalid("to", _("The period has %(days)d days: at most %(max)d.") % {"days": days, "max": MAX_RANGE_DAYS})
    by = dimension.value if dimension is not None else None
    for dim, value in filters.items():
        argument, allowed = FILTER_VALUES[dim]
        if not value:
            continue
        if value not in allowed:
            raise invalid(
                argument,
                _("Unknown %(argument)s “%(value)s”: one of %(values)s.")
                % {"argument": argument, "value": value, "values": ", ".join(allowed)},
            )
        if dim == by:
            raise invalid(
                argument,
                _("Break down by %(argument)s or filter on one %(argument)s, not both.") % {"argument": argument},
            )
    return metric, Filters(**{dim: value or "" for dim, value in filters.items()}), by


def bounded(data: MetricData) -> MetricData:
    if len(data.values) > MAX_POINTS:
        raise GraphQLError(
            str(
                _("This series has %(points)d points, more than %(max)d: narrow the period, filter, or drop the "
                  "dimension.") % {"points": len(data.values), "max": MAX_POINTS}
            ),
            extensions={"code": "TOO_MANY_POINTS", "max": MAX_POINTS},
        )  # fmt: skip
    return data


class ReportsQueries(graphene.ObjectType):
    """The reports' root fields (a mixin of the root ``Query``)."""

    metrics = graphene.Field(
        MetricSeries,
        name=graphene.String(required=True, description="The metric's name (see `metricDefinitions`)."),
        from_=graphene.Date(name="from", required=True, description="The first day (Asia/Seoul)."),
        to=graphene.Date(required=True, description=f"The last day, included (at most {MAX_RANGE_DAYS} days)."),
        dimension=MetricDimension(description="Break the values down by this dimension (absent: no breakdown)."),
        region=graphene.String(description="Only this province: its two-digit code (`11` is Seoul)."),
        category=graphene.String(description="Only this job category (`food_service`, `retail`, …)."),
        employment_type=graphene.String(description="Only this employment type (full_time, part_time, freelance)."),
        description=(
            "One metric's daily values for a period, from the daily rollups (scope `reports:read`), optionally "
            "broken down by a dimension and filtered by the others. Bounded: at most "
            f"{MAX_RANGE_DAYS} days × the metric's breakdown keys × the dimension's values "
            f"({DIMENSION_VALUES['region']} regions, {DIMENSION_VALUES['category']} categories or "
            f"{DIMENSION_VALUES['employment_type']} employment types, unknown `~` included) points, one per rollup "
            f"row read; a series of more than {MAX_POINTS:,} points is refused (narrow the period, filter, or drop "
            "the dimension). Wrong arguments come back as errors with `extensions.code` INVALID and the "
            "`argument` at fault."
        ),
    )
    metric_definitions = graphene.List(
        graphene.NonNull(MetricDefinition),
        required=True,
        description="Every metric the reports compute, grouped as the report pages group them (scope `reports:read`).",
    )

    @requires(READ)
    def resolve_metrics(
        self,
        info: Any,
        name: str,
        from_: dt.date,
        to: dt.date,
        dimension: Any = None,
        region: str | None = None,
        category: str | None = None,
        employment_type: str | None = None,
    ) -> Series:
        filters = {"region": region, "category": category, "employment_type": employment_type}
        metric, chosen, by = checked_request(name, from_, to, dimension, filters)
        return series(metric, bounded(from_rollups([metric.name], from_, to, chosen, by)))

    @requires(READ)
    def resolve_metric_definitions(self, info: Any) -> list[Metric]:
        return list(METRICS.values())
