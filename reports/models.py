"""Daily rollups: the few thousand rows report pages read instead of the millions of source rows.

One row per (day, metric, breakdown key, dimension grain). The grain is implied by which dimension columns
are set: all three empty is the day's total; one set is that dimension's marginal, two set a pair (region ×
category, region × type, category × type), all three the full cube. A read finds its rows at the grain whose
set dimensions are the ones it filters or groups by, so a page filtered by type and grouped by region reads one
row per day, region and key instead of summing the cube over categories. Unknown values (an employer's case
has no category) are stored as ``~`` so every grain adds up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

UNKNOWN = "~"

# A grain as a number: one bit per dimension set (0 the total, 7 the cube).
GRAIN_BITS = {"region": 1, "category": 2, "employment_type": 4}


def grain_of(dimensions: Iterable[str]) -> int:
    """The ``grain`` of rows whose set dimensions are ``dimensions``."""
    return sum(GRAIN_BITS[name] for name in set(dimensions))


class DailyRollup(models.Model):
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=48)
    key = models.CharField(_("breakdown"), max_length=64, blank=True)
    region = models.CharField(_("region"), max_length=8, blank=True)
    category = models.CharField(_("category"), max_length=32, blank=True)
    employment_type = models.CharField(_("employment type"), max_length=16, blank=True)
    # Sum of the observations (a count for count metrics, seconds for durations) and how many there were.
    value = models.FloatField(_("value"), default=0)
    count = models.PositiveIntegerField(_("observations"), default=0)
    # Durations: counts per bucket of ``reports.metrics.DURATION_BUCKETS`` (percentiles need the distribution,
    # and bucket counts add up across days and dimensions where medians do not).
    histogram = models.JSONField(_("histogram"), null=True, blank=True)
    # Which dimensions are set (``GRAIN_BITS``), computed by the database so it can never disagree with them. Reads
    # name their grain, and the unique index leads with (metric, grain): a page grouped by region under a type
    # filter reads its own rows, not every region row of the metric (PostgreSQL scanned the whole metric: 57 ms).
    grain = models.GeneratedField(
        expression=Case(When(region="", then=Value(0)), default=Value(GRAIN_BITS["region"]))
        + Case(When(category="", then=Value(0)), default=Value(GRAIN_BITS["category"]))
        + Case(When(employment_type="", then=Value(0)), default=Value(GRAIN_BITS["employment_type"])),
        output_field=models.PositiveSmallIntegerField(_("grain")),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        default_permissions = ("view",)
        # Reading the report pages is its own permission: analysts and senior staff, not every moderator.
        permissions = [("view_reports", "Can view report pages")]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "grain", "region", "category", "employment_type", "day", "key"],
                name="rollup_unique",
            )
        ]
        # Every read names its metrics and a day range. With an index on the day alone PostgreSQL scans a whole
        # month of every metric for short ranges (85 ms instead of 20 for a filtered funnel table at bench scale);
        # (metric, day) keeps each read to its metrics' days, and serves the per-day delete of a recompute.
        indexes = [models.Index(fields=["metric", "day"], name="rollup_metric_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key or '-'}"


class RollupDay(models.Model):
    """A day whose rollup rows are complete (a page tells apart "zero" from "not computed yet")."""

    day = models.DateField(_("day"), primary_key=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        default_permissions = ("view",)
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class RollupWatermark(models.Model):
    """How far the incremental rollup has read its sources (one row per rollup family)."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    # Every source change committed before this instant is reflected in the rollups.
    watermark = models.DateTimeField(_("watermark"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rollup watermark")
        verbose_name_plural = _("rollup watermarks")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark:%Y-%m-%d %H:%M}"
