"""Daily rollups (reports.services): the grains, recomputing a day, ``manage.py rollup``, the audit trail, the
incremental job (backfill, watermark, late events) and its periodic task."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections import defaultdict
from io import StringIO
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.test import override_settings

from backoffice.audit import Actor
from backoffice.models import ActorKind, AuditLog, InboxEvent, Transport
from jobs.models import JobPosting
from moderation.models import Appeal, Case, CaseEvent, CaseStatus, Decision, DecisionAction, TargetKind, target_key
from reports import tasks
from reports.metrics import DIMENSIONS, METRICS, bucket_of, empty_histogram, local_day
from reports.models import DailyRollup, RollupDay, RollupWatermark, grain_of
from reports.selectors import from_rollups, from_source, missing_days
from reports.services import WATERMARK, days_to_recompute, rollup_days, rollup_incremental, rollup_range
from tests.factories import ApplicationFactory, JobPostingFactory, SeekerFactory
from tests.reports.metrics_dataset import D1, D2, D3, D4, DAYS, NOW, at, build

pytestmark = pytest.mark.django_db


def frozen(now: dt.datetime = NOW) -> mock._patch:  # type: ignore[type-arg]
    return mock.patch("reports.metrics.timezone.now", return_value=now)


def roll(first: dt.date = D1, last: dt.date = D4) -> int:
    with frozen():
        return rollup_range(first=first, last=last, actor=Actor.system("test")).rows


# --- grains ------------------------------------------------------------------------------------------------------
def grain(row: DailyRollup) -> str:
    set_ = [name for name in DIMENSIONS if getattr(row, name)]
    assert row.grain == grain_of(set_), row  # the generated column agrees with the dimensions
    if not set_:
        return "total"
    if len(set_) == 1:
        return set_[0]
    return "cube" if len(set_) == 3 else "+".join(set_)


PAIRS = ("region+category", "region+employment_type", "category+employment_type")


def test_rollup_range_writes_the_total_every_marginal_every_pair_and_the_cube() -> None:
    build()
    with frozen():
        result = rollup_range(first=D1, last=D4, actor=Actor.system("test"))
    assert result.days == DAYS
    rows = list(DailyRollup.objects.all())
    assert result.rows == len(rows) > 0
    assert {row.day for row in rows} == {D1, D2, D4}  # nothing happened on D3
    per_day = defaultdict(int)
    for row in rows:
        per_day[row.day] += 1
    assert {m.day: m.rows for m in RollupDay.objects.all()} == {
        D1: per_day[D1],
        D2: per_day[D2],
        D3: 0,
        D4: per_day[D4],
    }

    groups: dict[tuple[dt.date, str, str], dict[str, list[DailyRollup]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row.day, row.metric, row.key)][grain(row)].append(row)
    assert {metric for _, metric, _ in groups} == set(METRICS)
    for (day, metric, key), by_grain in groups.items():
        assert len(by_grain["total"]) == 1, (day, metric, key)
        total = by_grain["total"][0]
        assert set(by_grain) == {"total", *DIMENSIONS, *PAIRS, "cube"}, (day, metric, key)
        for name in (*DIMENSIONS, *PAIRS, "cube"):
            parts = by_grain[name]
            assert parts, (day, metric, key, name)
            assert sum(p.value for p in parts) == total.value, (day, metric, key, name)
            assert sum(p.count for p in parts) == total.count, (day, metric, key, name)
            if total.histogram is not None:
                summed = [sum(bucket) for bucket in zip(*(p.histogram for p in parts), strict=True)]
                assert summed == total.histogram, (day, metric, key, name)
            else:
                assert all(p.histogram is None for p in parts)

    def at_grain(metric: str, day: dt.date, key: str, name: str) -> dict[object, float]:
        out = {}
        for row in groups[(day, metric, key)][name]:
            if name == "cube":
                label: object = (row.region, row.category, row.employment_type)
            elif "+" in name:
                label = tuple(getattr(row, part) for part in name.split("+"))
            else:
                label = getattr(row, name, "")
            out[label] = row.value
        return out

    # By hand: D2's band-1 case is C4, an employer's (no category, no employment type: "~").
    assert at_grain("cases_opened", D2, "1", "total") == {"": 1}
    assert at_grain("cases_opened", D2, "1", "region") == {"11": 1}
    assert at_grain("cases_opened", D2, "1", "category") == {"~": 1}
    assert at_grain("cases_opened", D2, "1", "employment_type") == {"~": 1}
    assert at_grain("cases_opened", D2, "1", "cube") == {("11", "~", "~"): 1}
    assert at_grain("cases_opened", D2, "1", "region+employment_type") == {("11", "~"): 1}
    # D4's applications: A7 on P3 (26 delivery part-time), A8 on P8 (41 retail part-time).
    assert at_grain("applications", D4, "", "total") == {"": 2}
    assert at_grain("applications", D4, "", "region") == {"26": 1, "41": 1}
    assert at_grain("applications", D4, "", "employment_type") == {"part_time": 2}
    assert at_grain("applications", D4, "", "cube") == {
        ("26", "delivery", "part_time"): 1,
        ("41", "retail", "part_time"): 1,
    }
    assert at_grain("applications", D4, "", "category+employment_type") == {
        ("delivery", "part_time"): 1,
        ("retail", "part_time"): 1,
    }
    assert at_grain("applications", D4, "", "region+category") == {("26", "delivery"): 1, ("41", "retail"): 1}
    # D2's band-2 resolution is C7, 79200 s after opening: one observation in bucket (57600, 86400].
    ttd = groups[(D2, "time_to_decision", "2")]["total"][0]
    expected = empty_histogram()
    expected[bucket_of(79200)] = 1
    assert (ttd.value, ttd.count, ttd.histogram) == (79200, 1, expected)
    assert bucket_of(79200) == 15


def test_rerunning_a_day_replaces_its_rows() -> None:
    data = build()
    roll()
    d1_rows = DailyRollup.objects.filter(day=D1).count()
    d2_ids = set(DailyRollup.objects.filter(day=D2).values_list("pk", flat=True))
    d1_ids = set(DailyRollup.objects.filter(day=D1).values_list("pk", flat=True))

    assert roll(D1, D1) == d1_rows
    assert DailyRollup.objects.filter(day=D1).count() == d1_rows  # replaced, not appended
    assert set(DailyRollup.objects.filter(day=D1).values_list("pk", flat=True)).isdisjoint(d1_ids)
    assert set(DailyRollup.objects.filter(day=D2).values_list("pk", flat=True)) == d2_ids  # D2 untouched
    fields = ("day", "metric", "key", "region", "category", "employment_type")
    assert DailyRollup.objects.values(*fields).distinct().count() == DailyRollup.objects.count()

    # A third application on P1 on D1 (same cube cell as A1 and A2): the rerun shows 3, with as many rows.
    ApplicationFactory(posting=data.postings["P1"], seeker=SeekerFactory(), submitted_at=at(D1, 20))
    assert from_rollups(["applications"], D1, D1).total("applications").value == 2
    assert roll(D1, D1) == d1_rows
    assert from_rollups(["applications"], D1, D1).total("applications").value == 3  # 2 + 1
    assert RollupDay.objects.get(day=D1).rows == d1_rows


def test_migration_0005_derives_the_pair_rows_of_days_rolled_up_before_it_from_the_cube() -> None:
    # Days rolled up before pair grains existed have only the cube: the migration must write exactly the pair rows
    # the rollup writes today (same values, counts and histograms), and going back must remove them.
    migration = importlib.import_module("reports.migrations.0005_rollup_pair_grains")
    build()
    roll()
    fields = ("day", "metric", "key", "region", "category", "employment_type", "value", "count", "histogram")

    def snapshot() -> set[tuple[object, ...]]:
        return {(*row[:-1], tuple(row[-1] or ())) for row in DailyRollup.objects.values_list(*fields)}

    def markers() -> dict[dt.date, int]:
        return dict(RollupDay.objects.values_list("day", "rows"))

    rolled, rolled_markers = snapshot(), markers()
    pair_rows = {row for row in rolled if sum(1 for value in row[3:6] if value) == 2}
    assert pair_rows

    migration.remove_pair_rows(django_apps, None)
    assert snapshot() == rolled - pair_rows
    assert sum(markers().values()) == len(rolled - pair_rows)

    migration.add_pair_rows(django_apps, None)
    assert snapshot() == rolled
    assert markers() == rolled_markers
    migration.add_pair_rows(django_apps, None)  # a second run replaces, never doubles
    assert DailyRollup.objects.count() == len(rolled)


def test_rollup_days_of_nothing_writes_nothing() -> None:
    result = rollup_days(days=[], actor=Actor.system("test"), reason="nothing")
    assert (result.days, result.rows) == ((), 0)
    assert result.summary() == {"days": 0, "rows": 0, "span": "-"}
    assert not AuditLog.objects.filter(action="reports.rolled_up").exists()


# --- manage.py rollup ------------------------------------------------------------------------------------------
def test_command_rolls_up_a_range_and_records_it_in_the_audit_log() -> None:
    build()
    out = StringIO()
    call_command("rollup", "--from", "2025-11-03", "--to", "2025-11-06", stdout=out)
    rows = DailyRollup.objects.count()
    assert rows > 0
    assert out.getvalue().startswith(f"Rolled up 4 day(s) 2025-11-03..2025-11-06: {rows} rows in ")
    assert sorted(RollupDay.objects.values_list("day", flat=True)) == list(DAYS)
    assert missing_days(D1, D4) == []

    entry = AuditLog.objects.get(action="reports.rolled_up")
    assert (entry.actor_kind, entry.actor_label, entry.actor_id) == (ActorKind.SYSTEM, "manage.py rollup", None)
    assert entry.note == "range 2025-11-03..2025-11-06"
    assert {k: v for k, v in entry.metadata.items() if k != "duration_ms"} == {
        "first_day": "2025-11-03",
        "last_day": "2025-11-06",
        "days": 4,
        "rows": rows,
    }
    assert isinstance(entry.metadata["duration_ms"], int)


def test_command_with_from_only_rolls_up_that_day() -> None:
    build()
    out = StringIO()
    call_command("rollup", "--from", "2025-11-04", stdout=out)
    assert "Rolled up 1 day(s) 2025-11-04..2025-11-04" in out.getvalue()
    assert list(RollupDay.objects.values_list("day", flat=True)) == [D2]
    assert set(DailyRollup.objects.values_list("day", flat=True)) == {D2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "'2026-13-01' is not a date: use YYYY-MM-DD."),
        (["--from", "2025-11-03", "--to", "11/06/2025"], "'11/06/2025' is not a date: use YYYY-MM-DD."),
        (["--from", "2025-11-06", "--to", "2025-11-03"], "--to (2025-11-03) is before --from (2025-11-06)."),
        (["--to", "2025-11-06"], "--to needs --from."),
        (["--from", "2020-01-01", "--to", "2025-12-31"], "At most 1098 days per run; split the range."),
    ],
)
def test_command_refuses_bad_input_with_a_clear_message(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("rollup", *args, stdout=StringIO())
    assert str(excinfo.value) == message
    assert not DailyRollup.objects.exists() and not RollupDay.objects.exists()
    assert not AuditLog.objects.filter(action="reports.rolled_up").exists()


@override_settings(REPORTS_BACKFILL_DAYS=2)
def test_command_without_dates_runs_the_incremental_job() -> None:
    out = StringIO()
    call_command("rollup", stdout=out)
    state = RollupWatermark.objects.get(name=WATERMARK)
    today = local_day(state.watermark)
    first = today - dt.timedelta(days=1)
    assert out.getvalue().strip() == f"days=2 rows=0 span={first}..{today} late_days=0"
    assert missing_days(first, today) == []
    entry = AuditLog.objects.get(action="reports.rolled_up")
    assert (entry.actor_label, entry.note) == ("rollup", "incremental")


# --- the incremental job ----------------------------------------------------------------------------------------
T = dt.date(2026, 3, 10)  # "today" of the incremental runs (a Tuesday; any past day does)
T0 = at(T, 12)  # the first run


def day(offset: int) -> dt.date:
    return T + dt.timedelta(days=offset)


def span(first: int, last: int) -> list[dt.date]:
    return [day(i) for i in range(first, last + 1)]


def posting() -> JobPosting:
    return JobPostingFactory(
        created_at=at(T, 9, days=-20), published_at=at(T, 10, days=-20), status_changed_at=at(T, 10, days=-20)
    )


def apply(job: JobPosting, submitted: dt.datetime, received: dt.datetime | None = None) -> None:
    """An application submitted at ``submitted``; stored at ``received`` (the event's arrival)."""
    ApplicationFactory(posting=job, seeker=SeekerFactory(), submitted_at=submitted, created_at=received or submitted)


def computed_at() -> dict[dt.date, dt.datetime]:
    return dict(RollupDay.objects.values_list("day", "computed_at"))


def applications(first: dt.date, last: dt.date, *, via: str = "rollups") -> dict[dt.date, float]:
    fetch = from_rollups if via == "rollups" else from_source
    return {d: agg.value for d, agg in fetch(["applications"], first, last).daily("applications").items()}


@override_settings(REPORTS_BACKFILL_DAYS=3)
def test_first_run_backfills_the_configured_days() -> None:
    job = posting()
    apply(job, at(T, 9, days=-3))  # before the backfill
    apply(job, at(T, 10, days=-2))
    apply(job, at(T, 9))

    summary = rollup_incremental(now=T0)

    assert summary == {"days": 3, "rows": DailyRollup.objects.count(), "span": f"{day(-2)}..{T}", "late_days": 0}
    assert sorted(computed_at()) == span(-2, 0)
    assert RollupWatermark.objects.get(name=WATERMARK).watermark == T0
    assert applications(day(-3), T) == {day(-2): 1, T: 1}
    assert missing_days(day(-3), T) == [day(-3)]
    entry = AuditLog.objects.get(action="reports.rolled_up")
    assert (entry.actor_kind, entry.actor_label, entry.note) == (ActorKind.SYSTEM, "rollup", "incremental")
    assert entry.metadata["first_day"] == str(day(-2)) and entry.metadata["days"] == 3


@override_settings(REPORTS_BACKFILL_DAYS=3)
def test_next_run_recomputes_only_from_the_watermark_day() -> None:
    job = posting()
    apply(job, at(T, 10, days=-2))
    rollup_incremental(now=T0)
    before = computed_at()

    # Rows that reach the database without an inbox event: one today, one on a past day.
    apply(job, at(T, 12, 30), received=at(T, 12, 30))
    apply(job, at(T, 15, days=-1), received=at(T, 12, 30))
    summary = rollup_incremental(now=T0 + dt.timedelta(hours=1))

    assert summary["days"] == 1 and summary["span"] == f"{T}..{T}" and summary["late_days"] == 0
    after = computed_at()
    assert after[day(-2)] == before[day(-2)] and after[day(-1)] == before[day(-1)]  # not recomputed
    assert after[T] > before[T]
    # So yesterday's row is in the source but not in the rollups: the run really is incremental.
    assert applications(day(-2), T, via="source") == {day(-2): 1, day(-1): 1, T: 1}
    assert applications(day(-2), T) == {day(-2): 1, T: 1}
    assert RollupWatermark.objects.get(name=WATERMARK).watermark == T0 + dt.timedelta(hours=1)
    assert AuditLog.objects.filter(action="reports.rolled_up").count() == 2


@override_settings(REPORTS_BACKFILL_DAYS=3)
def test_a_late_event_recomputes_its_past_day() -> None:
    job = posting()
    apply(job, at(T, 10, days=-2))
    rollup_incremental(now=T0)
    assert applications(day(-2), T) == {day(-2): 1}
    before = computed_at()

    # Received now (30 minutes after the first run), occurred two days ago: the inbox row and the application it
    # created, with the marketplace's submission time.
    received = T0 + dt.timedelta(minutes=30)
    occurred = at(T, 14, days=-2)
    InboxEvent.objects.create(
        event_id=uuid.uuid4(),
        type="application.submitted",
        occurred_at=occurred,
        received_at=received,
        transport=Transport.HTTP,
    )
    apply(job, occurred, received=received)

    summary = rollup_incremental(now=T0 + dt.timedelta(hours=1))

    # The late day, and the days its cohorts close on up to today (MAX_REACH_DAYS later, capped at today).
    assert summary["late_days"] == 1
    assert summary["days"] == 3 and summary["span"] == f"{day(-2)}..{T}"
    after = computed_at()
    assert all(after[d] > before[d] for d in span(-2, 0))
    assert applications(day(-2), T) == {day(-2): 2}  # 1 + the late one

    # The next run has nothing late any more: back to today only.
    summary = rollup_incremental(now=T0 + dt.timedelta(hours=2))
    assert (summary["days"], summary["late_days"]) == (1, 0)


@override_settings(REPORTS_BACKFILL_DAYS=8)
def test_a_late_event_also_recomputes_the_days_its_cohorts_close_on() -> None:
    job = posting()
    rollup_incremental(now=T0)
    before = computed_at()
    assert sorted(before) == span(-7, 0)

    # Submitted five days ago, received now: its 3-day response window closed three days later (T-2).
    received = T0 + dt.timedelta(minutes=30)
    occurred = at(T, 14, days=-5)
    InboxEvent.objects.create(
        event_id=uuid.uuid4(),
        type="application.submitted",
        occurred_at=occurred,
        received_at=received,
        transport=Transport.REDIS,
    )
    apply(job, occurred, received=received)
    summary = rollup_incremental(now=T0 + dt.timedelta(hours=1))

    # T-5 and its reach (up to T-5 + 7, capped at today) — T-7 and T-6 are left alone.
    assert (summary["days"], summary["late_days"], summary["span"]) == (6, 1, f"{day(-5)}..{T}")
    after = computed_at()
    assert [d for d in sorted(after) if after[d] > before[d]] == span(-5, 0)
    data = from_rollups(["applications", "applications_response_due"], day(-7), T)
    assert {d: a.value for d, a in data.daily("applications").items()} == {day(-5): 1}
    assert {d: a.value for d, a in data.daily("applications_response_due").items()} == {day(-2): 1}


def test_days_to_recompute_reads_back_past_midnight_and_adds_undone_and_appealed_days() -> None:
    # A run just after midnight: the overlap (10 minutes) reaches back into yesterday.
    assert days_to_recompute(watermark=at(T, 0, 5), now=at(T, 1)) == ([day(-1), T], 0)
    assert days_to_recompute(watermark=at(T, 0, 30), now=at(T, 1)) == ([T], 0)
    # The job did not run for three days: every day since.
    assert days_to_recompute(watermark=at(T, 23, days=-3), now=T0) == (span(-3, 0), 0)

    # A decision of T-4 undone since the watermark, an appeal filed since then of a decision of T-20.
    job = posting()
    case = Case.objects.create(
        target_kind=TargetKind.POSTING,
        target_key=target_key(TargetKind.POSTING, job.pk),
        posting=job,
        status=CaseStatus.OPEN,
        opened_at=at(T, 9, days=-20),
        due_at=at(T, 21, days=-20),
    )
    Decision.objects.create(
        case=case,
        action=DecisionAction.REMOVE,
        case_version=1,
        created_at=at(T, 10, days=-4),
        undone_at=T0 + dt.timedelta(minutes=5),
    )
    old = Decision.objects.create(
        case=case, action=DecisionAction.REMOVE, case_version=1, created_at=at(T, 10, days=-20)
    )
    Appeal.objects.create(decision=old, case=case, filed_at=T0 + dt.timedelta(minutes=20))
    days, late = days_to_recompute(watermark=T0, now=T0 + dt.timedelta(hours=1))
    assert late == 2
    # T-20 … T-13 (the appealed decision's day and its reach), T-4 … T (the undone one's, up to today).
    assert days == span(-20, -13) + span(-4, 0)


def test_an_appeal_recomputes_the_days_its_case_counted_on_before_it_reopened() -> None:
    # The case was first opened on T-30 (the timeline keeps it), decided on T-29; the appeal filed now reopens
    # it (opened_at moves to now), so T-30's "cases opened" and the due days after it must be recomputed.
    job = posting()
    case = Case.objects.create(
        target_kind=TargetKind.POSTING,
        target_key=target_key(TargetKind.POSTING, job.pk),
        posting=job,
        status=CaseStatus.OPEN,
        opened_at=T0 + dt.timedelta(minutes=20),
        due_at=T0 + dt.timedelta(hours=72),
    )
    CaseEvent.objects.create(
        case=case, kind="opened", actor_label="system", message="Opened", created_at=at(T, 9, days=-30)
    )
    old = Decision.objects.create(
        case=case, action=DecisionAction.REMOVE, case_version=1, created_at=at(T, 10, days=-29)
    )
    Appeal.objects.create(decision=old, case=case, filed_at=T0 + dt.timedelta(minutes=20))
    days, late = days_to_recompute(watermark=T0, now=T0 + dt.timedelta(hours=1))
    # Late days T-30 .. T-27: the first opening and the longest SLA (72 h) after it (the decision's day T-29 is
    # among them); each with the 7 days of reach of the cohort metrics (up to T-20); then today.
    assert late == 4
    assert days == [*span(-30, -20), T]


# --- the periodic task ---------------------------------------------------------------------------------------------
@override_settings(REPORTS_BACKFILL_DAYS=2)
def test_periodic_task_runs_the_incremental_rollup_and_returns_its_counts() -> None:
    JobPostingFactory()  # created and published now: today has rows
    summary = tasks.rollup.apply().get()
    state = RollupWatermark.objects.get(name=WATERMARK)
    today = local_day(state.watermark)
    yesterday = today - dt.timedelta(days=1)
    assert summary == {
        "days": 2,
        "rows": DailyRollup.objects.count(),
        "span": f"{yesterday}..{today}",
        "late_days": 0,
    }
    assert summary["rows"] > 0
    assert from_rollups(["postings_created"], today, today).total("postings_created").value == 1
    assert missing_days(yesterday, today) == []
