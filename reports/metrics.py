"""Every metric the report pages show, defined once: name, description, unit, breakdown and how a day of it is
computed from the source tables.

Each metric counts things on the day they happened (Asia/Seoul), so a past day only changes when a late event
lands in it (``reports.services`` recomputes those days). Two funnel metrics are cohorts that close after a
fixed window (a posting's first 7 days, an application's first 3 days); they count on the day the window
closes, which is never later than "today" for the events that decide them, and declare ``reach_days`` so a late
event also recomputes the days its window closes on.

Ratios (precision, fill rate, appeal rate …) are not stored: pages divide two stored counts of the same
period and filters, which is what makes them add up across days and dimensions.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import Application, ApplicationStatus, JobPosting, PostingStatus
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    Report,
    ReviewStatus,
    RuleHit,
    SecondReview,
    TargetKind,
)
from reports.models import UNKNOWN

SEOUL = ZoneInfo("Asia/Seoul")
DIMENSIONS: tuple[str, ...] = ("region", "category", "employment_type")

# Upper bounds (seconds) of the duration buckets, from a minute to a month; the last bucket is open-ended.
# Log-ish spacing keeps the error of an interpolated percentile small where moderation SLAs live (1–72 h).
DURATION_BUCKETS: tuple[int, ...] = (
    60, 300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 57600, 86400,
    129600, 172800, 259200, 345600, 432000, 604800, 864000, 1209600, 1814400, 2592000,
)  # fmt: skip


class Unit:
    COUNT = "count"
    SECONDS = "seconds"


class Kind:
    COUNT = "count"  # additive: a day's value is a number of things
    DURATION = "duration"  # a distribution: sum, count and bucket counts
    GAUGE = "gauge"  # a level at the end of the day: a period shows its last day


@dataclass(frozen=True)
class Fact:
    """One computed group: the unit both the rollup and the raw (benchmark) path produce."""

    day: dt.date
    key: str
    region: str
    category: str
    employment_type: str
    value: float
    count: int
    histogram: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    unit: str
    kind: str
    key_label: str  # what the breakdown key is ("" when the metric has none)
    compute: Callable[[dt.datetime, dt.datetime], Iterable[Fact]] = field(repr=False)
    reach_days: int = 0


# --- helpers -------------------------------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SEOUL)
    return start, start + dt.timedelta(days=1)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SEOUL).date()


def _dim(value: object) -> str:
    return str(value) if value not in (None, "") else UNKNOWN


def bucket_of(seconds: float) -> int:
    return bisect.bisect_left(DURATION_BUCKETS, seconds)


def empty_histogram() -> list[int]:
    return [0] * (len(DURATION_BUCKETS) + 1)


def percentile(histogram: Sequence[int], q: float) -> float | None:
    """The q-quantile (0..1) of a bucketed distribution, interpolated linearly inside its bucket."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            lower = DURATION_BUCKETS[index - 1] if index > 0 else 0
            if index >= len(DURATION_BUCKETS):
                return float(lower)  # open-ended last bucket: its lower bound is all we know
            upper = DURATION_BUCKETS[index]
            return lower + (upper - lower) * max(0.0, rank - seen) / count
        seen += count
    return float(DURATION_BUCKETS[-1])


@dataclass(frozen=True)
class Dims:
    """ORM paths of a source row's region code, category and employment type."""

    region: str
    category: str
    employment_type: str


POSTING_DIMS = Dims("region_code", "category", "employment_type")
APPLICATION_DIMS = Dims("posting__region_code", "posting__category", "posting__employment_type")
CASE_DIMS = Dims("region_code", "category", "posting__employment_type")
DECISION_DIMS = Dims("case__region_code", "case__category", "case__posting__employment_type")
HIT_DIMS = Dims("posting__region_code", "posting__category", "posting__employment_type")
REPORT_DIMS = Dims("posting__region_code", "posting__category", "posting__employment_type")
REVIEW_DIMS = Dims(
    "decision__case__region_code", "decision__case__category", "decision__case__posting__employment_type"
)


def _dim_annotations(dims: Dims) -> dict[str, object]:
    return {"d_region": Substr(dims.region, 1, 2), "d_category": F(dims.category), "d_type": F(dims.employment_type)}


def counted(
    queryset: QuerySet,
    *,
    day_field: str,
    dims: Dims,
    keys: Sequence[str] = (),
    shift_days: int = 0,
) -> Callable[[dt.datetime, dt.datetime], Iterator[Fact]]:
    """A count metric: rows of ``queryset`` whose ``day_field`` falls in the range, grouped by day, key and
    dimensions in the database (one GROUP BY query for any range)."""

    def compute(start: dt.datetime, end: dt.datetime) -> Iterator[Fact]:
        shift = dt.timedelta(days=shift_days)
        rows = (
            queryset.filter(**{f"{day_field}__gte": start - shift, f"{day_field}__lt": end - shift})
            .annotate(d_day=TruncDate(day_field, tzinfo=SEOUL), **_dim_annotations(dims))
            .values("d_day", *keys, "d_region", "d_category", "d_type")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            yield Fact(
                day=row["d_day"] + shift,
                key="|".join(str(row[k]) for k in keys),
                region=_dim(row["d_region"]),
                category=_dim(row["d_category"]),
                employment_type=_dim(row["d_type"]),
                value=float(row["n"]),
                count=row["n"],
            )

    return compute


def durations(
    queryset: QuerySet,
    *,
    day_field: str,
    start_field: str,
    end_field: str,
    dims: Dims,
    keys: Sequence[str] = (),
) -> Callable[[dt.datetime, dt.datetime], Iterator[Fact]]:
    """A duration metric: ``end_field - start_field`` of each row whose ``day_field`` falls in the range,
    bucketed per day, key and dimensions (the rows of one day are a few thousand at most)."""

    def compute(start: dt.datetime, end: dt.datetime) -> Iterator[Fact]:
        rows = (
            queryset.filter(**{f"{day_field}__gte": start, f"{day_field}__lt": end})
            .annotate(d_day=TruncDate(day_field, tzinfo=SEOUL), d_start=F(start_field), d_end=F(end_field),
                      **_dim_annotations(dims))
            .filter(d_start__isnull=False, d_end__isnull=False)
            .values_list("d_day", "d_region", "d_category", "d_type", "d_start", "d_end", *keys)
            .order_by()
        )  # fmt: skip
        groups: dict[tuple[object, ...], list[float]] = {}
        for day, region, category, employment_type, began, ended, *key_values in rows.iterator(chunk_size=5000):
            seconds = max(0.0, (ended - began).total_seconds())
            group = (day, "|".join(str(k) for k in key_values), _dim(region), _dim(category), _dim(employment_type))
            bucket = groups.setdefault(group, [0.0, 0, *empty_histogram()])
            bucket[0] += seconds
            bucket[1] += 1
            bucket[2 + bucket_of(seconds)] += 1
        for (day, key, region, category, employment_type), (total, count, *histogram) in groups.items():
            yield Fact(day, key, region, category, employment_type, total, int(count), tuple(int(h) for h in histogram))

    return compute


def backlog(start: dt.datetime, end: dt.datetime) -> Iterator[Fact]:
    """Open (or escalated) cases at the end of each day, by band: a level, so one query per day."""
    day = local_day(start)
    last = local_day(end - dt.timedelta(microseconds=1))
    now = timezone.now()
    while day <= last:
        _, day_end = day_bounds(day)
        cutoff = min(day_end, now)
        rows = (
            Case.objects.filter(opened_at__lt=cutoff)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff))
            .annotate(**_dim_annotations(CASE_DIMS))
            .values("band", "d_region", "d_category", "d_type")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            yield Fact(day, str(row["band"]), _dim(row["d_region"]), _dim(row["d_category"]), _dim(row["d_type"]),
                       float(row["n"]), row["n"])  # fmt: skip
        day += dt.timedelta(days=1)


def sla_breaches(start: dt.datetime, end: dt.datetime) -> Iterator[Fact]:
    """Cases due that day that were decided late or are still undecided past their due time (by due day)."""
    now = timezone.now()
    queryset = Case.objects.filter(Q(resolved_at__gt=F("due_at")) | Q(resolved_at__isnull=True, due_at__lt=now))
    return counted(queryset, day_field="due_at", dims=CASE_DIMS, keys=("band",))(start, end)


_human = Q(moderator__isnull=False, undone_at__isnull=True)
# The employer's first response: the earliest of four nullable timestamps. Each argument coalesces to the others
# so it is NULL only when all are: SQLite's MIN() of a NULL is NULL, PostgreSQL's LEAST ignores NULLs.
_first_response = Least(
    Coalesce("viewed_at", "shortlisted_at", "hired_at", "rejected_at"),
    Coalesce("shortlisted_at", "viewed_at", "hired_at", "rejected_at"),
    Coalesce("hired_at", "viewed_at", "shortlisted_at", "rejected_at"),
    Coalesce("rejected_at", "viewed_at", "shortlisted_at", "hired_at"),
)
_claimed_at = Subquery(
    CaseEvent.objects.filter(
        case=OuterRef("case"), kind="claimed", actor=OuterRef("moderator"), created_at__lte=OuterRef("created_at")
    )
    .order_by("-created_at")
    .values("created_at")[:1],
    output_field=DateTimeField(),
)


def _responded_within(days: int) -> Callable[[dt.datetime, dt.datetime], Iterator[Fact]]:
    deadline = ExpressionWrapper(F("submitted_at") + dt.timedelta(days=days), output_field=DateTimeField())
    queryset = Application.objects.annotate(first_response=_first_response, deadline=deadline).filter(
        first_response__lt=F("deadline")
    )
    return counted(queryset, day_field="submitted_at", dims=APPLICATION_DIMS, shift_days=days)


def _zero_applications_after(days: int) -> Callable[[dt.datetime, dt.datetime], Iterator[Fact]]:
    window_end = ExpressionWrapper(F("published_at") + dt.timedelta(days=days), output_field=DateTimeField())
    queryset = JobPosting.objects.annotate(window_end=window_end).filter(
        Q(first_application_at__isnull=True) | Q(first_application_at__gte=F("window_end"))
    )
    return counted(queryset, day_field="published_at", dims=POSTING_DIMS, shift_days=days)


ZERO_APPLICATION_DAYS = 7
RESPONSE_DAYS = 3

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        # --- moderation -------------------------------------------------------------------------------------
        Metric("cases_opened", _("Cases opened"), _("Cases opened that day, by priority band."),
               Unit.COUNT, Kind.COUNT, "band",
               counted(Case.objects.all(), day_field="opened_at", dims=CASE_DIMS, keys=("band",))),
        Metric("cases_resolved", _("Cases resolved"), _("Cases decided for good that day, by band."),
               Unit.COUNT, Kind.COUNT, "band",
               counted(Case.objects.filter(status=CaseStatus.RESOLVED), day_field="resolved_at", dims=CASE_DIMS,
                       keys=("band",))),
        Metric("backlog", _("Backlog"), _("Open and escalated cases at the end of the day, by band."),
               Unit.COUNT, Kind.GAUGE, "band", backlog),
        Metric("time_to_decision", _("Time to decision"),
               _("From a case's opening to its resolution, for cases resolved that day, by band."),
               Unit.SECONDS, Kind.DURATION, "band",
               durations(Case.objects.filter(status=CaseStatus.RESOLVED), day_field="resolved_at",
                         start_field="opened_at", end_field="resolved_at", dims=CASE_DIMS, keys=("band",))),
        Metric("cases_due", _("Cases due"), _("Cases whose SLA ends that day, by band."),
               Unit.COUNT, Kind.COUNT, "band",
               counted(Case.objects.all(), day_field="due_at", dims=CASE_DIMS, keys=("band",))),
        Metric("sla_breaches", _("SLA breaches"),
               _("Cases due that day and decided late or not yet decided, by band."),
               Unit.COUNT, Kind.COUNT, "band", sla_breaches),
        Metric("decisions", _("Decisions"),
               _("Decisions taken by people that day (undone ones excluded), by action and policy clause."),
               Unit.COUNT, Kind.COUNT, "action|clause",
               counted(Decision.objects.filter(_human), day_field="created_at", dims=DECISION_DIMS,
                       keys=("action", "clause"))),
        Metric("auto_hidden", _("Hidden automatically"), _("Postings the system hid that day (auto-hide)."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Decision.objects.filter(moderator__isnull=True, action=DecisionAction.REMOVE),
                       day_field="created_at", dims=DECISION_DIMS)),
        Metric("auto_hide_restored", _("Auto-hides restored"),
               _("Automatically hidden postings a person published again that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Decision.objects.filter(_human, case__auto_hidden=True,
                                               posting_status_after=PostingStatus.PUBLISHED),
                       day_field="created_at", dims=DECISION_DIMS)),
        Metric("appeals_filed", _("Appeals filed"), _("Appeals against decisions filed that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Appeal.objects.all(), day_field="filed_at", dims=DECISION_DIMS)),
        Metric("appeals_resolved", _("Appeals resolved"), _("Appeals decided that day, by outcome."),
               Unit.COUNT, Kind.COUNT, "outcome",
               counted(Appeal.objects.exclude(status=AppealStatus.PENDING), day_field="resolved_at",
                       dims=DECISION_DIMS, keys=("status",))),
        # --- moderators -------------------------------------------------------------------------------------
        Metric("moderator_decisions", _("Decisions per moderator"),
               _("Decisions each moderator took that day (undone ones excluded)."),
               Unit.COUNT, Kind.COUNT, "moderator",
               counted(Decision.objects.filter(_human), day_field="created_at", dims=DECISION_DIMS,
                       keys=("moderator_id",))),
        Metric("moderator_handling", _("Handling time"),
               _("From the moderator's claim of a case to their decision, for decisions taken that day."),
               Unit.SECONDS, Kind.DURATION, "moderator",
               durations(Decision.objects.filter(_human).annotate(claimed_at=_claimed_at), day_field="created_at",
                         start_field="claimed_at", end_field="created_at", dims=DECISION_DIMS,
                         keys=("moderator_id",))),
        Metric("second_reviews", _("Four-eyes reviews"),
               _("Second reviews completed that day, by the first moderator and whether the reviewer agreed."),
               Unit.COUNT, Kind.COUNT, "moderator|outcome",
               counted(SecondReview.objects.exclude(status=ReviewStatus.PENDING), day_field="completed_at",
                       dims=REVIEW_DIMS, keys=("decision__moderator_id", "status"))),
        Metric("moderator_overturned", _("Overturned on appeal"),
               _("Appeals decided that day that overturned the moderator's decision."),
               Unit.COUNT, Kind.COUNT, "moderator",
               counted(Appeal.objects.filter(status=AppealStatus.OVERTURNED, decision__moderator__isnull=False),
                       day_field="resolved_at", dims=DECISION_DIMS, keys=("decision__moderator_id",))),
        # --- rules ------------------------------------------------------------------------------------------
        Metric("rule_hits", _("Rule hits"), _("Screening rule hits recorded that day, by rule and mode."),
               Unit.COUNT, Kind.COUNT, "rule|mode",
               counted(RuleHit.objects.all(), day_field="created_at", dims=HIT_DIMS, keys=("rule_id", "mode"))),
        Metric("rule_hits_reviewed", _("Rule hits reviewed"),
               _("Hits whose case a person decided that day, by rule and whether the decision upheld them."),
               Unit.COUNT, Kind.COUNT, "rule|upheld",
               counted(RuleHit.objects.filter(confirmed__isnull=False, case__status=CaseStatus.RESOLVED),
                       day_field="case__resolved_at", dims=HIT_DIMS, keys=("rule_id", "confirmed"))),
        # --- marketplace funnel -----------------------------------------------------------------------------
        Metric("postings_created", _("Postings created"), _("Postings the marketplace created that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(JobPosting.objects.all(), day_field="created_at", dims=POSTING_DIMS)),
        Metric("postings_published", _("Postings published"), _("Postings published for the first time that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(JobPosting.objects.all(), day_field="published_at", dims=POSTING_DIMS)),
        Metric("time_to_first_application", _("Time to first application"),
               _("From publication to the first application, for postings whose first application came that day."),
               Unit.SECONDS, Kind.DURATION, "",
               durations(JobPosting.objects.filter(published_at__isnull=False,
                                                   first_application_at__gte=F("published_at")),
                         day_field="first_application_at", start_field="published_at",
                         end_field="first_application_at", dims=POSTING_DIMS)),
        Metric("applications", _("Applications"), _("Applications submitted that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Application.objects.all(), day_field="submitted_at", dims=APPLICATION_DIMS)),
        Metric("hires", _("Hires"), _("Applications marked hired that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Application.objects.filter(status=ApplicationStatus.HIRED), day_field="hired_at",
                       dims=APPLICATION_DIMS)),
        Metric("postings_closed", _("Postings closed"),
               _("Postings the employer or the system closed that day, by reason."),
               Unit.COUNT, Kind.COUNT, "reason",
               counted(JobPosting.objects.filter(status=PostingStatus.CLOSED), day_field="closed_at",
                       dims=POSTING_DIMS, keys=("close_reason",))),
        Metric("postings_expired", _("Postings expired"), _("Postings that reached their end date that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(JobPosting.objects.filter(status=PostingStatus.EXPIRED), day_field="status_changed_at",
                       dims=POSTING_DIMS)),
        Metric("postings_week_old", _("Postings a week old"),
               _("Postings whose first 7 days since publication ended that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(JobPosting.objects.all(), day_field="published_at", dims=POSTING_DIMS,
                       shift_days=ZERO_APPLICATION_DAYS),
               reach_days=ZERO_APPLICATION_DAYS),
        Metric("postings_zero_applications", _("Postings with no application after 7 days"),
               _("Of the postings a week old that day, those that had no application in their first 7 days."),
               Unit.COUNT, Kind.COUNT, "",
               _zero_applications_after(ZERO_APPLICATION_DAYS), reach_days=ZERO_APPLICATION_DAYS),
        Metric("applications_response_due", _("Applications due a response"),
               _("Applications whose first 3 days ended that day."),
               Unit.COUNT, Kind.COUNT, "",
               counted(Application.objects.all(), day_field="submitted_at", dims=APPLICATION_DIMS,
                       shift_days=RESPONSE_DAYS),
               reach_days=RESPONSE_DAYS),
        Metric("applications_responded", _("Applications answered in 3 days"),
               _("Of the applications due a response that day, those the employer viewed or answered within 3 days."),
               Unit.COUNT, Kind.COUNT, "",
               _responded_within(RESPONSE_DAYS), reach_days=RESPONSE_DAYS),
        Metric("reports_filed", _("Reports on postings"), _("User reports filed on postings that day, by reason."),
               Unit.COUNT, Kind.COUNT, "reason",
               counted(Report.objects.filter(target_kind=TargetKind.POSTING), day_field="filed_at", dims=REPORT_DIMS,
                       keys=("reason",))),
    )
}  # fmt: skip

MAX_REACH_DAYS = max(metric.reach_days for metric in METRICS.values())


def compute(names: Iterable[str], start: dt.datetime, end: dt.datetime) -> Iterator[tuple[str, Fact]]:
    """The facts of ``names`` for ``[start, end)``, straight from the source tables."""
    for name in names:
        for fact in METRICS[name].compute(start, end):
            yield name, fact
