"""Every metric of ``reports.metrics.METRICS`` against numbers computed by hand on the fixed data set of
``tests/reports/metrics_dataset.py`` (read its docstring first: the arithmetic below refers to its P…, A…, C… rows).

Breakdown keys with database ids are written with placeholders ({M1} = moderator 1's id, {R1} = rule 1's id).
Bands: 1 low, 2 medium, 3 high, 4 urgent. Duration buckets (upper bounds, seconds): … 900, 1800, 2700, 3600,
5400, 7200, 10800, 14400, 21600, 28800, 43200, 57600, 86400, 129600, 172800, 259200, … 604800, 864000 …; a
percentile interpolates linearly inside the bucket its rank falls in: lower + (upper - lower) * (rank - seen) / n.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from unittest import mock

import pytest

from backoffice.audit import Actor
from reports import selectors
from reports.metrics import DURATION_BUCKETS, METRICS, Kind, bucket_of, percentile
from reports.selectors import Filters, MetricData, from_rollups, from_source, missing_days
from reports.services import rollup_range
from tests.reports.metrics_dataset import D1, D2, D3, D4, DAYS, NOW, Dataset, at, build

pytestmark = pytest.mark.django_db

ALL = tuple(METRICS)


def frozen(now: dt.datetime = NOW) -> mock._patch:  # type: ignore[type-arg]
    """``backlog`` and ``sla_breaches`` read the clock: pin it (the patch is django.utils.timezone.now)."""
    return mock.patch("reports.metrics.timezone.now", return_value=now)


@pytest.fixture
def data() -> Dataset:
    return build()


@pytest.fixture
def source(data: Dataset) -> MetricData:
    with frozen():
        return from_source(ALL, D1, D4)


@pytest.fixture
def rolled_up(data: Dataset) -> Iterator[Dataset]:
    with frozen():
        rollup_range(first=D1, last=D4, actor=Actor.system("test"))
    yield data


# --- every metric, per day and breakdown key ----------------------------------------------------------------
# {metric: {day: {key: value}}}; days and keys not listed must be absent. For durations the value is the sum of
# seconds (counts, sums and percentiles are checked again below).
EXPECTED: dict[str, dict[dt.date, dict[str, float]]] = {
    # opened_at: D1 C1 10:30, C7 11:00 (band 2) | D2 C3 00:50 (4), C2 09:00 reopened by its appeal (3), C4 10:00
    # (1) | D4 C5 00:10, C8 08:00 reopened by its appeal, C6 12:00 (all 3). C2's and C8's first openings on D1
    # are gone: an appeal reopens the case.
    "cases_opened": {D1: {"2": 2}, D2: {"1": 1, "3": 1, "4": 1}, D4: {"3": 3}},
    # resolved_at of resolved cases: D1 C1 | D2 C3 02:30 (4), C7 09:00 (2), C2 15:00 (3), C4 23:30 (1) | D4 C8.
    # C5 (open) and C6 (escalated) are not resolved.
    "cases_resolved": {D1: {"2": 1}, D2: {"1": 1, "2": 1, "3": 1, "4": 1}, D4: {"3": 1}},
    # Open at the end of the day: D1 24:00 only C7 (opened 11:00, resolved D2 09:00), band 2 | D2, D3: none |
    # D4 at now (18:00, before the day's end): C5 (open) + C6 (escalated) = 2 in band 3 (C8 resolved 09:45).
    "backlog": {D1: {"2": 1}, D4: {"3": 2}},
    # resolved_at - opened_at: D1 C1 11:20-10:30 = 3000 | D2 C4 23:30-10:00 = 48600, C7 D2 09:00-D1 11:00 =
    # 22 h = 79200, C2 15:00-09:00 = 21600, C3 02:30-00:50 = 6000 | D4 C8 09:45-08:00 = 6300.
    "time_to_decision": {D1: {"2": 3000}, D2: {"1": 48600, "2": 79200, "3": 21600, "4": 6000}, D4: {"3": 6300}},
    # due_at: D1 C1 22:30, C7 23:00 (2) | D2 C3 02:50 (4), C2 13:00 (3), C4 22:00 (1) | D4 C5 04:10, C8 12:00,
    # C6 20:00 (3).
    "cases_due": {D1: {"2": 2}, D2: {"1": 1, "3": 1, "4": 1}, D4: {"3": 3}},
    # By due day, resolved after due_at or still open past it at now (D4 18:00): D1 C7 (D2 09:00 > D1 23:00) |
    # D2 C2 (15:00 > 13:00), C4 (23:30 > 22:00); C3 in time (02:30 < 02:50) | D4 C5 (open, 04:10 < 18:00); C6
    # is due 20:00, after now; C8 in time (09:45 < 12:00).
    "sla_breaches": {D1: {"2": 1}, D2: {"1": 1, "3": 1}, D4: {"3": 1}},
    # People's decisions, not undone (C5's undone removal and C3's system removal are out):
    # D1 C1 approve, C8 remove P1, C2 remove P4 | D2 C3, C7, C2 approve (3), C4 dismiss | D4 C8 remove P1, C6
    # escalate (no clause).
    "decisions": {
        D1: {"approve|none": 1, "remove|P1-false-ad": 1, "remove|P4-off-platform": 1},
        D2: {"approve|none": 3, "dismiss|none": 1},
        D4: {"remove|P1-false-ad": 1, "escalate|": 1},
    },
    # The system's removal of P3 (C3) D2 01:00.
    "auto_hidden": {D2: {"": 1}},
    # M1's approval of auto-hidden C3 (published again) D2 02:30. C2's approval also publishes, but C2 was not
    # auto-hidden.
    "auto_hide_restored": {D2: {"": 1}},
    # filed_at: D2 09:00 (of C2's removal), D4 08:00 (of C8's removal).
    "appeals_filed": {D2: {"": 1}, D4: {"": 1}},
    "appeals_resolved": {D2: {"overturned": 1}, D4: {"upheld": 1}},
    # D1 M1: C1, C8; M2: C2 | D2 M1: C3, C2; M2: C7, C4 | D4 M1: C6; M2: C8.
    "moderator_decisions": {D1: {"{M1}": 2, "{M2}": 1}, D2: {"{M1}": 2, "{M2}": 2}, D4: {"{M1}": 1, "{M2}": 1}},
    # Decision - the same moderator's latest claim of the same case before it:
    # D1 M1: C1 11:20-11:00 = 1200 (not the lapsed 10:40 claim, not M2's 10:50), C8 17:00-16:30 = 1800 → 3000;
    #    M2: C2 21:00-20:00 = 3600
    # D2 M1: C3 02:30-02:00 = 1800, C2 15:00-14:00 = 3600 → 5400; M2: C7 09:00-08:30 = 1800, C4 23:30-20:00 =
    #    12600 → 14400
    # D4 M1: C6 13:30-13:00 = 1800; M2: C8 09:45-09:00 = 2700 (C5's undone decision is out).
    "moderator_handling": {
        D1: {"{M1}": 3000, "{M2}": 3600},
        D2: {"{M1}": 5400, "{M2}": 14400},
        D4: {"{M1}": 1800, "{M2}": 2700},
    },
    # completed_at, by the reviewed decision's moderator: D2 C1's (10:00) and C3's (12:00) approvals by M1,
    # agreed | D4 C2's approval by M1, disagreed. C7's review is pending.
    "second_reviews": {D2: {"{M1}|agreed": 2}, D4: {"{M1}|disagreed": 1}},
    # The appeal of M2's removal of P7 was overturned D2 15:00.
    "moderator_overturned": {D2: {"{M2}": 1}},
    # created_at: D1 R1 flag on P1, P2, P6 (3), R2 flag on P7 | D2 R2 dry run on P3, R3 auto-hide on P3 |
    # D4 R2 flag on P4.
    "rule_hits": {
        D1: {"{R1}|flag": 3, "{R2}|flag": 1},
        D2: {"{R2}|dry_run": 1, "{R3}|auto_hide": 1},
        D4: {"{R2}|flag": 1},
    },
    # By the case's resolution day, confirmed set: D1 R1 on C1 (approved: False) | D2 R1 on C7, R2 on C2 (the
    # appeal approved it), R3 on C3 (all False) | D4 R1 on C8 (removal upheld: True). R2 on C5: case open,
    # confirmed unset; the dry-run hit has no case.
    "rule_hits_reviewed": {
        D1: {"{R1}|False": 1},
        D2: {"{R1}|False": 1, "{R2}|False": 1, "{R3}|False": 1},
        D4: {"{R1}|True": 1},
    },
    # created_at: D1 P1 09:00, P2 11:00, P7 13:30 | D2 P3 00:30 (D1 15:30 UTC) | D4 P4 00:10.
    "postings_created": {D1: {"": 3}, D2: {"": 1}, D4: {"": 1}},
    # published_at (first publication): D1 P1 10:00, P7 13:40 | D2 P3 00:40, P2 09:00. P4 never published.
    "postings_published": {D1: {"": 2}, D2: {"": 2}},
    # first_application_at - published_at: D1 P1 12:00-10:00 = 7200 | D2 P2 10:30-09:00 = 5400 |
    # D4 P3 D4 09:30 - D2 00:40 = 2 d 8 h 50 min = 204600, P8 D4 11:00 - D4-7d 10:00 = 7 d 1 h = 608400;
    # 204600 + 608400 = 813000.
    "time_to_first_application": {D1: {"": 7200}, D2: {"": 5400}, D4: {"": 813000}},
    # submitted_at: D1 A1, A2 | D2 A3, A4 | D4 A7, A8.
    "applications": {D1: {"": 2}, D2: {"": 2}, D4: {"": 2}},
    # hired_at: D2 A1 | D4 A3.
    "hires": {D2: {"": 1}, D4: {"": 1}},
    "postings_closed": {D4: {"filled": 1}},
    # status_changed_at of expired postings: P5 D2 00:30.
    "postings_expired": {D2: {"": 1}},
    # published 7 days before: D1 P5 (D1-7d) | D2 P6 (D1-6d 23:30 = D2-7d) | D4 P8 (D4-7d). D3-7d: none.
    "postings_week_old": {D1: {"": 1}, D2: {"": 1}, D4: {"": 1}},
    # Of those: P5 had no application; P6's first came 2 d 20 h 30 min after publication (counted out); P8's
    # first came at D4 11:00, one hour after its 7 days ended D4 10:00 (counted in).
    "postings_zero_applications": {D1: {"": 1}, D4: {"": 1}},
    # submitted 3 days before: D1 A0 (D1-3d) | D2 A5 (D1-2d = D2-3d) | D4 A1, A2 (D1). D3-3d: none.
    "applications_response_due": {D1: {"": 1}, D2: {"": 1}, D4: {"": 2}},
    # First response before submitted + 3 d: A0 viewed D1-2d 09:00 < D1 20:00 (yes) | A5 viewed D2 11:00, its
    # 3 days ended D2 10:00 (no) | A1 viewed D1 15:00 (yes), A2 never answered (no).
    "applications_responded": {D1: {"": 1}, D4: {"": 1}},
    # Posting reports only: D1 P1 spam, P6 scam | D2 P3 scam ×2 (the employer report is out) | D4 P1
    # illegal_wage.
    "reports_filed": {D1: {"spam": 1, "scam": 1}, D2: {"scam": 2}, D4: {"illegal_wage": 1}},
}


def test_every_metric_has_a_hand_computed_expectation() -> None:
    assert set(EXPECTED) == set(METRICS)


def per_day_and_key(data: MetricData, metric: str) -> dict[dt.date, dict[str, float]]:
    out: dict[dt.date, dict[str, float]] = {}
    for key, days in data.daily_by_key(metric).items():
        for day, agg in days.items():
            out.setdefault(day, {})[key] = agg.value
    return out


def expected(metric: str, ids: dict[str, str]) -> dict[dt.date, dict[str, float]]:
    return {day: {key.format(**ids): value for key, value in keys.items()} for day, keys in EXPECTED[metric].items()}


@pytest.mark.parametrize("metric", ALL)
def test_metric_per_day_and_key(metric: str, data: Dataset, source: MetricData) -> None:
    assert per_day_and_key(source, metric) == expected(metric, data.ids())
    # The empty day has no value at all (nor a zero row).
    assert D3 not in source.daily(metric)


def test_rollups_give_the_same_numbers(rolled_up: Dataset) -> None:
    data = from_rollups(ALL, D1, D4)
    for metric in ALL:
        assert per_day_and_key(data, metric) == expected(metric, rolled_up.ids()), metric
        assert D3 not in data.daily(metric), metric


def test_daily_sums_over_keys(source: MetricData) -> None:
    # Spot checks of the per-day value summed over the breakdown (what a chart line shows).
    assert source.daily("cases_opened")[D1].value == 2  # C1 + C7
    assert source.daily("cases_opened")[D2].value == 3  # C3 + C2 + C4
    assert source.daily("decisions")[D2].value == 4  # 3 approvals + 1 dismissal
    assert source.daily("decisions", key=lambda k: k.startswith("approve|"))[D2].value == 3
    assert source.daily("rule_hits")[D1].value == 4  # 3 R1 + 1 R2
    assert source.total("cases_opened").value == 8  # 2 + 3 + 0 + 3
    assert source.total("reports_filed").value == 5  # 2 + 2 + 1
    # A level's period value is its last day's: D4 = 2, not 1 + 2.
    assert METRICS["backlog"].kind == Kind.GAUGE
    assert source.total("backlog").value == 2
    assert source.by_key("backlog") == {"3": selectors.Agg(2.0, 2)}
    assert source.by_key("decisions", part=0)["approve"].value == 4  # D1 1 + D2 3


def test_period_by_key(data: Dataset, source: MetricData) -> None:
    ids = data.ids()
    assert {k: a.value for k, a in source.by_key("moderator_decisions").items()} == {ids["M1"]: 5, ids["M2"]: 4}
    # Agreement: M1's reviewed decisions 3, agreed 2.
    assert {k: a.value for k, a in source.by_key("second_reviews", part=1).items()} == {"agreed": 2, "disagreed": 1}
    # Rule precision parts: R1 reviewed 3 (C1, C7 False; C8 True).
    reviewed = source.by_key("rule_hits_reviewed")
    assert reviewed[f"{ids['R1']}|True"].value == 1 and reviewed[f"{ids['R1']}|False"].value == 2


# --- durations: count, sum, p50, p90 ------------------------------------------------------------------------
def test_bucket_bounds_are_inclusive_upper_bounds() -> None:
    assert DURATION_BUCKETS[4:9] == (1800, 2700, 3600, 5400, 7200)
    assert bucket_of(1800) == 4 and bucket_of(1801) == 5 and bucket_of(1200) == 4
    assert bucket_of(5400) == 7 and bucket_of(7200) == 8 and bucket_of(2_592_001) == len(DURATION_BUCKETS)
    assert percentile([0] * (len(DURATION_BUCKETS) + 1), 0.5) is None
    overflow = [0] * len(DURATION_BUCKETS) + [3]
    assert percentile(overflow, 0.9) == 2_592_000  # open-ended: its lower bound


def check(agg: selectors.Agg, count: int, total: float, p50: float, p90: float) -> None:
    assert (agg.count, agg.value) == (count, total)
    assert agg.percentile(0.5) == pytest.approx(p50)
    assert agg.percentile(0.9) == pytest.approx(p90)


@pytest.mark.parametrize("via", ["source", "rollups"])
def test_time_to_decision_distribution(via: str, rolled_up: Dataset) -> None:
    data = from_source(["time_to_decision"], D1, D4) if via == "source" else from_rollups(["time_to_decision"], D1, D4)
    daily = data.daily("time_to_decision")
    assert sorted(daily) == [D1, D2, D4]
    # D1: 3000 alone, bucket (2700, 3600]: p50 = 2700 + 900 × 0.5 = 3150, p90 = 2700 + 900 × 0.9 = 3510.
    check(daily[D1], 1, 3000, 3150, 3510)
    # D2: 6000 (5400, 7200], 21600 (14400, 21600], 48600 (43200, 57600], 79200 (57600, 86400]; sum 155400.
    # p50: rank 2 falls in (14400, 21600] with 1 seen before: 14400 + 7200 × (2 - 1) / 1 = 21600.
    # p90: rank 3.6 falls in (57600, 86400] with 3 seen: 57600 + 28800 × 0.6 = 74880.
    check(daily[D2], 4, 155400, 21600, 74880)
    # D4: 6300 alone in (5400, 7200]: 5400 + 1800 × 0.5 = 6300, 5400 + 1800 × 0.9 = 7020.
    check(daily[D4], 1, 6300, 6300, 7020)
    # The period: 3000 | 6000, 6300 | 21600 | 48600 | 79200 — 6 values, sum 164700.
    # p50: rank 3 in (5400, 7200] (1 seen, 2 there): 5400 + 1800 × 2 / 2 = 7200.
    # p90: rank 5.4 in (57600, 86400] (5 seen): 57600 + 28800 × 0.4 = 69120.
    check(data.total("time_to_decision"), 6, 164700, 7200, 69120)
    assert data.total("time_to_decision").mean == pytest.approx(164700 / 6)
    # Per band over the period: band 3 = C2 21600 + C8 6300.
    assert data.by_key("time_to_decision")["3"].count == 2
    assert data.by_key("time_to_decision")["3"].value == 27900


@pytest.mark.parametrize("via", ["source", "rollups"])
def test_moderator_handling_distribution(via: str, rolled_up: Dataset) -> None:
    fetch = from_source if via == "source" else from_rollups
    data = fetch(["moderator_handling"], D1, D4)
    daily = data.daily("moderator_handling")
    assert sorted(daily) == [D1, D2, D4]
    # D1: 1200, 1800 in (900, 1800], 3600 in (2700, 3600]; sum 6600.
    # p50: rank 1.5 in (900, 1800] (2 there): 900 + 900 × 1.5 / 2 = 1575.
    # p90: rank 2.7 in (2700, 3600] (2 seen): 2700 + 900 × 0.7 = 3330.
    check(daily[D1], 3, 6600, 1575, 3330)
    # D2: 1800, 1800 (900, 1800], 3600 (2700, 3600], 12600 (10800, 14400]; sum 19800.
    # p50: rank 2 in (900, 1800]: 900 + 900 × 2 / 2 = 1800. p90: rank 3.6 in (10800, 14400]: 10800 + 3600 × 0.6.
    check(daily[D2], 4, 19800, 1800, 12960)
    # D4: 1800 (900, 1800], 2700 (1800, 2700]; p50 rank 1: 900 + 900 = 1800; p90 rank 1.8: 1800 + 900 × 0.8.
    check(daily[D4], 2, 4500, 1800, 2520)
    # The period: five in (900, 1800], 2700, two 3600, 12600 — 9 values, sum 1200 + 4 × 1800 + 2700 + 2 × 3600 +
    # 12600 = 30900. p50: rank 4.5 in (900, 1800]: 900 + 900 × 4.5 / 5 = 1710. p90: rank 8.1 in (10800, 14400]
    # (8 seen): 10800 + 3600 × 0.1 = 11160.
    check(data.total("moderator_handling"), 9, 30900, 1710, 11160)
    ids = rolled_up.ids()
    per_moderator = data.by_key("moderator_handling")
    # M1: 1200 + 1800 + 1800 + 3600 + 1800 = 10200 over 5; M2: 3600 + 1800 + 12600 + 2700 = 20700 over 4.
    assert (per_moderator[ids["M1"]].count, per_moderator[ids["M1"]].value) == (5, 10200)
    assert (per_moderator[ids["M2"]].count, per_moderator[ids["M2"]].value) == (4, 20700)
    # M2's median: 1800 (900, 1800], 2700 (1800, 2700], 3600, 12600; rank 2 in (1800, 2700]: 1800 + 900 × 1.
    assert per_moderator[ids["M2"]].percentile(0.5) == pytest.approx(2700)


@pytest.mark.parametrize("via", ["source", "rollups"])
def test_time_to_first_application_distribution(via: str, rolled_up: Dataset) -> None:
    fetch = from_source if via == "source" else from_rollups
    daily = fetch(["time_to_first_application"], D1, D4).daily("time_to_first_application")
    assert sorted(daily) == [D1, D2, D4]
    # D1: 7200 in (5400, 7200]: 5400 + 1800 × 0.5 = 6300; 5400 + 1800 × 0.9 = 7020.
    check(daily[D1], 1, 7200, 6300, 7020)
    # D2: 5400 in (3600, 5400]: 3600 + 1800 × 0.5 = 4500; 3600 + 1800 × 0.9 = 5220.
    check(daily[D2], 1, 5400, 4500, 5220)
    # D4: 204600 in (172800, 259200], 608400 in (604800, 864000].
    # p50: rank 1 in the first: 172800 + 86400 × 1 / 1 = 259200. p90: rank 1.8 in the second (1 seen):
    # 604800 + 259200 × 0.8 = 812160.
    check(daily[D4], 2, 813000, 259200, 812160)


# --- the clock ------------------------------------------------------------------------------------------------
def test_now_decides_what_is_overdue_and_where_the_backlog_is_read(data: Dataset) -> None:
    # At D4 21:00 C6 (due 20:00, escalated) is a breach too; the backlog is read at 21:00: still C5 + C6.
    with frozen(at(D4, 21)):
        later = from_source(["sla_breaches", "backlog"], D1, D4)
    assert later.daily("sla_breaches")[D4].value == 2
    assert later.daily("backlog")[D4].value == 2
    # At D4 11:00 C8 is resolved (09:45) and C6 not opened yet (12:00): only C5. The past days do not move.
    with frozen(at(D4, 11)):
        morning = from_source(["sla_breaches", "backlog"], D1, D4)
    assert morning.daily("backlog")[D4].value == 1
    assert morning.daily("backlog")[D1].value == 1
    assert morning.daily("sla_breaches")[D4].value == 1  # C5, due 04:10
    # At 09:00 C8 (reopened 08:00, resolved 09:45) is open too: C5 + C8.
    with frozen(at(D4, 9)):
        early = from_source(["backlog"], D4, D4)
    assert early.by_key("backlog") == {"3": selectors.Agg(2.0, 2)}
    # Before C5's due time (04:10) it is not a breach yet.
    with frozen(at(D4, 4)):
        assert D4 not in from_source(["sla_breaches"], D1, D4).daily("sla_breaches")


# --- filters and dimensions ------------------------------------------------------------------------------------
def load(via: str, metrics: list[str], filters: Filters | None = None, by: str | None = None) -> MetricData:
    filters = filters or Filters()
    with frozen():
        if via == "source":
            return from_source(metrics, D1, D4, filters, by)
        return from_rollups(metrics, D1, D4, filters, by)


def values(data: MetricData, metric: str) -> dict[dt.date, float]:
    return {day: agg.value for day, agg in data.daily(metric).items()}


VIA = pytest.mark.parametrize("via", ["source", "rollups"])


@VIA
def test_filter_region(via: str, rolled_up: Dataset) -> None:
    data = load(via, ["cases_opened", "applications", "decisions", "backlog", "time_to_decision"], Filters(region="11"))
    # Region 11 cases: C1, C7 (D1), C4 (D2, an employer's), C6 (D4).
    assert values(data, "cases_opened") == {D1: 2, D2: 1, D4: 1}
    # A1, A2 on P1 (D1), A3, A4 on P2 (D2); D4's are in 26 (P3) and 41 (P8).
    assert values(data, "applications") == {D1: 2, D2: 2}
    # C1 (D1), C7 and C4 (D2), C6 (D4).
    assert values(data, "decisions") == {D1: 1, D2: 2, D4: 1}
    # D1: C7; D4: C6 (C5 is in 41). The period's level is D4's.
    assert values(data, "backlog") == {D1: 1, D4: 1}
    assert data.total("backlog").value == 1
    # C1 3000 + C7 79200 + C4 48600 = 130800 over 3.
    ttd = data.total("time_to_decision")
    assert (ttd.count, ttd.value) == (3, 130800)


@VIA
def test_filter_category(via: str, rolled_up: Dataset) -> None:
    data = load(via, ["cases_opened", "postings_created", "reports_filed"], Filters(category="food_service"))
    # C1 (P1, D1), C2 (P7, D2), C5 (P4) and C6 (P1) on D4.
    assert values(data, "cases_opened") == {D1: 1, D2: 1, D4: 2}
    # P1, P7 (D1), P4 (D4).
    assert values(data, "postings_created") == {D1: 2, D4: 1}
    # P1 spam (D1), P1 illegal_wage (D4); P6 and P3 are delivery.
    assert data.by_key("reports_filed") == {"spam": selectors.Agg(1.0, 1), "illegal_wage": selectors.Agg(1.0, 1)}
    # The employer's case has no category: it is "~", and can be asked for.
    unknown = load(via, ["cases_opened"], Filters(category="~"))
    assert values(unknown, "cases_opened") == {D2: 1}


@VIA
def test_filter_employment_type(via: str, rolled_up: Dataset) -> None:
    data = load(via, ["applications", "decisions", "applications_response_due"], Filters(employment_type="part_time"))
    # A1, A2 (P1, D1); A7 (P3), A8 (P8) on D4; P2 is full-time.
    assert values(data, "applications") == {D1: 2, D4: 2}
    # C1 (D1), C3 (D2), C6 (D4).
    assert values(data, "decisions") == {D1: 1, D2: 1, D4: 1}
    # A1, A2 due D4; A0 and A5 are on full-time P6.
    assert values(data, "applications_response_due") == {D4: 2}


@VIA
def test_two_filters_combined(via: str, rolled_up: Dataset) -> None:
    metrics = ["applications", "decisions", "cases_opened", "time_to_decision"]
    data = load(via, metrics, Filters(region="11", employment_type="part_time"))
    # Seoul part-time is P1 only: A1, A2 (D1).
    assert values(data, "applications") == {D1: 2}
    # C1 (D1), C6 (D4); C7 is full-time, C4 has no posting.
    assert values(data, "decisions") == {D1: 1, D4: 1}
    assert values(data, "cases_opened") == {D1: 1, D4: 1}
    ttd = data.total("time_to_decision")
    assert (ttd.count, ttd.value) == (1, 3000)  # C1 only

    data = load(via, ["cases_opened", "sla_breaches", "rule_hits"], Filters(region="41", category="food_service"))
    # Gyeonggi food service: P7 (C2, D2) and P4 (C5, D4).
    assert values(data, "cases_opened") == {D2: 1, D4: 1}
    assert values(data, "sla_breaches") == {D2: 1, D4: 1}
    assert values(data, "rule_hits") == {D1: 1, D4: 1}  # R2 on P7, R2 on P4

    # All three.
    data = load(via, ["applications"], Filters(region="41", category="retail", employment_type="part_time"))
    assert values(data, "applications") == {D4: 1}  # A8 on P8


@VIA
def test_by_region(via: str, rolled_up: Dataset) -> None:
    data = load(via, ["cases_opened", "applications", "reports_filed", "postings_published"], by="region")

    def by(metric: str) -> dict[str, float]:
        return {dim: agg.value for dim, agg in data.by_dimension(metric).items()}

    # 11: C1, C7, C4, C6; 26: C3, C8; 41: C2, C5 — 4 + 2 + 2 = the total 8.
    assert by("cases_opened") == {"11": 4, "26": 2, "41": 2}
    assert by("applications") == {"11": 4, "26": 1, "41": 1}  # A1–A4 | A7 | A8
    assert by("reports_filed") == {"11": 2, "26": 3}  # P1 ×2 | P6, P3 ×2
    assert by("postings_published") == {"11": 2, "26": 1, "41": 1}  # P1, P2 | P3 | P7


@VIA
def test_by_a_dimension_with_filters(via: str, rolled_up: Dataset) -> None:
    # Grouped by the filtered dimension itself: only the filtered value.
    data = load(via, ["cases_opened"], Filters(region="11"), by="region")
    assert {d: a.value for d, a in data.by_dimension("cases_opened").items()} == {"11": 4}
    # Grouped by another dimension than the filter's (the category × type pair grain): food service by type.
    data = load(via, ["cases_opened"], Filters(category="food_service"), by="employment_type")
    # C1, C6 part-time (P1); C2 full-time (P7); C5 freelance (P4).
    assert {d: a.value for d, a in data.by_dimension("cases_opened").items()} == {
        "part_time": 2,
        "full_time": 1,
        "freelance": 1,
    }
    # Seoul by type: C1, C6 part-time; C7 full-time; C4 unknown.
    data = load(via, ["cases_opened"], Filters(region="11"), by="employment_type")
    assert {d: a.value for d, a in data.by_dimension("cases_opened").items()} == {
        "part_time": 2,
        "full_time": 1,
        "~": 1,
    }


# --- rollups equal the source -------------------------------------------------------------------------------------
SHAPES = [
    (Filters(), None),
    (Filters(region="11"), None),
    (Filters(category="food_service"), None),
    (Filters(employment_type="part_time"), None),
    (Filters(category="~"), None),
    (Filters(region="11", employment_type="part_time"), None),
    (Filters(region="41", category="food_service", employment_type="full_time"), None),
    (Filters(), "region"),
    (Filters(), "category"),
    (Filters(), "employment_type"),
    (Filters(region="11"), "region"),
    (Filters(region="11"), "category"),
    (Filters(category="food_service", employment_type="part_time"), "region"),
]


@pytest.mark.parametrize(("filters", "by"), SHAPES)
def test_from_rollups_equals_from_source(filters: Filters, by: str | None, rolled_up: Dataset) -> None:
    with frozen():
        raw = from_source(ALL, D1, D4, filters, by)
    rolled = from_rollups(ALL, D1, D4, filters, by)
    assert rolled.values == raw.values
    assert raw.values, "the shape selects something"


def _same(left: dict, right: dict) -> bool:  # type: ignore[type-arg]
    """Equal keys and Aggs; seconds summed by the database may differ from Python's sum in the last bit."""
    return left.keys() == right.keys() and all(
        left[k].count == right[k].count
        and left[k].histogram == right[k].histogram
        and left[k].value == pytest.approx(right[k].value, rel=1e-12)
        for k in left
    )


@pytest.mark.parametrize(("filters", "by"), SHAPES)
def test_summed_over_the_period_equals_the_sum_of_days(filters: Filters, by: str | None, rolled_up: Dataset) -> None:
    """Metrics a page does not need day by day are summed in the database (durations bucket by bucket, levels
    taken on the last day); every total, key and dimension must stay what the per-day rows add up to."""
    per_day = from_rollups(ALL, D1, D4, filters, by)
    summed = from_rollups(ALL, D1, D4, filters, by, daily=["applications"])
    with frozen():
        raw_summed = from_source(ALL, D1, D4, filters, by, daily=["applications"])
    assert _same(summed.values, raw_summed.values)
    for metric in ALL:
        assert _same({0: summed.total(metric)}, {0: per_day.total(metric)}), metric
        assert _same(summed.by_key(metric), per_day.by_key(metric)), metric
        assert _same(summed.by_dimension(metric), per_day.by_dimension(metric)), metric
    assert summed.daily("applications") == per_day.daily("applications")
    # One row per metric, key and dimension value, all on the period's last day.
    assert {day for (metric, day, _, _) in summed.values if metric != "applications"} <= {D4}
    assert any(summed.total(m).histogram for m in ALL if METRICS[m].kind == Kind.DURATION) or not raw_summed.values


@pytest.mark.parametrize(("filters", "by"), [(Filters(), None), (Filters(region="11"), None), (Filters(), "region")])
def test_summed_over_keys_equals_the_sum_of_keys(filters: Filters, by: str | None, rolled_up: Dataset) -> None:
    """``keys=False`` (a per-moderator metric read as one series a day) sums the keys away in the database."""
    with frozen():
        raw = from_source(ALL, D1, D4, filters, by, keys=False)
    keyed = from_rollups(ALL, D1, D4, filters, by)
    flat = from_rollups(ALL, D1, D4, filters, by, keys=False)
    assert _same(flat.values, raw.values)
    for metric in ALL:
        assert set(flat.by_key(metric)) <= {""}, metric
        assert _same(flat.daily(metric), keyed.daily(metric)), metric
        assert _same(flat.by_dimension(metric), keyed.by_dimension(metric)), metric
    assert any(len(keyed.by_key(metric)) > 1 for metric in ALL), "some metric has several keys"


def test_a_summed_metric_has_no_days(rolled_up: Dataset) -> None:
    data = from_rollups(["backlog", "time_to_decision"], D1, D4, daily=["backlog"])
    assert data.daily("backlog")
    with pytest.raises(ValueError, match="time_to_decision was loaded summed"):
        data.daily("time_to_decision")
    with pytest.raises(ValueError, match="summed over the period"):
        data.daily_by_key("time_to_decision")


def test_missing_days(data: Dataset) -> None:
    assert missing_days(D1, D4) == list(DAYS)
    with frozen():
        rollup_range(first=D1, last=D2, actor=Actor.system("test"))
    assert missing_days(D1, D4) == [D3, D4]
    with frozen():
        rollup_range(first=D3, last=D4, actor=Actor.system("test"))
    # The empty day is computed (no rows, but known to be zero), so it is not missing.
    assert missing_days(D1, D4) == []
    assert missing_days(D1 - dt.timedelta(days=1), D4 + dt.timedelta(days=1)) == [
        D1 - dt.timedelta(days=1),
        D4 + dt.timedelta(days=1),
    ]
