"""Scoring, bands, SLA and the strike ladder (pure)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from moderation.models import Band, DecisionAction, SanctionKind
from moderation.policies import CaseSignals, ReportSignal, appeal_overturns, band_for, due_at, plan_sanction, score_case

THRESHOLDS = {"urgent": 80, "high": 50, "medium": 25}
SLA = {"urgent": 1, "high": 4, "medium": 24, "low": 72}


def test_one_reporter_counts_once_however_many_reports() -> None:
    once = score_case(CaseSignals(reports=(ReportSignal("seeker:1", "spam"),)))
    thrice = score_case(CaseSignals(reports=tuple(ReportSignal("seeker:1", "spam") for _ in range(3))))
    assert once.total == thrice.total


def test_distinct_reporters_and_accurate_reporters_weigh_more() -> None:
    one = score_case(CaseSignals(reports=(ReportSignal("seeker:1", "spam"),))).total
    two = score_case(CaseSignals(reports=(ReportSignal("seeker:1", "spam"), ReportSignal("seeker:2", "spam")))).total
    assert two > 2 * one  # diversity bonus
    reliable = score_case(CaseSignals(reports=(ReportSignal("seeker:1", "spam", upheld=9, dismissed=1),))).total
    unreliable = score_case(CaseSignals(reports=(ReportSignal("seeker:1", "spam", upheld=0, dismissed=10),))).total
    assert reliable > one > unreliable


def test_exposure_history_and_hits_raise_the_score() -> None:
    base = score_case(CaseSignals(hit_weights=(30,))).total
    assert score_case(CaseSignals(hit_weights=(30,), applications=40)).total > base
    assert score_case(CaseSignals(hit_weights=(30,), starts_within_24h=True)).total == base + 10
    assert score_case(CaseSignals(hit_weights=(30,), prior_violations=2)).total == base + 16
    assert score_case(CaseSignals(hit_weights=(30, 40))).total == 70


@given(
    weights=st.lists(st.integers(0, 100), max_size=6),
    reporters=st.integers(0, 8),
    applications=st.integers(0, 10_000),
)
def test_score_is_monotonic_in_every_signal(weights: list[int], reporters: int, applications: int) -> None:
    reports = tuple(ReportSignal(f"s:{i}", "scam") for i in range(reporters))
    base = CaseSignals(hit_weights=tuple(weights), reports=reports, applications=applications)
    score = score_case(base).total
    more_reports = CaseSignals(
        hit_weights=tuple(weights), reports=(*reports, ReportSignal("s:new", "scam")), applications=applications
    )
    assert score_case(more_reports).total >= score
    more_exposure = CaseSignals(hit_weights=tuple(weights), reports=reports, applications=applications + 100)
    assert score_case(more_exposure).total >= score


def test_bands_and_due_times() -> None:
    assert band_for(10, THRESHOLDS) == Band.LOW
    assert band_for(25, THRESHOLDS) == Band.MEDIUM
    assert band_for(50, THRESHOLDS) == Band.HIGH
    assert band_for(80, THRESHOLDS) == Band.URGENT
    opened = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    assert due_at(opened, Band.URGENT, SLA) == opened + dt.timedelta(hours=1)
    assert due_at(opened, Band.LOW, SLA) == opened + dt.timedelta(hours=72)


def test_strike_ladder() -> None:
    assert plan_sanction(prior_strikes=0).kind == SanctionKind.WARNING
    second = plan_sanction(prior_strikes=1)
    assert (second.kind, second.duration) == (SanctionKind.SUSPENSION, dt.timedelta(days=7))
    assert plan_sanction(prior_strikes=2).duration == dt.timedelta(days=30)
    assert plan_sanction(prior_strikes=3).kind == SanctionKind.BAN
    assert plan_sanction(prior_strikes=10).kind == SanctionKind.BAN
    # A moderator may go harder than the ladder, never softer.
    assert plan_sanction(prior_strikes=0, requested=SanctionKind.BAN).kind == SanctionKind.BAN
    assert plan_sanction(prior_strikes=3, requested=SanctionKind.WARNING).kind == SanctionKind.BAN


def test_appeal_overturn() -> None:
    assert appeal_overturns(DecisionAction.REMOVE, DecisionAction.APPROVE)
    assert not appeal_overturns(DecisionAction.REMOVE, DecisionAction.SANCTION)
    assert appeal_overturns(DecisionAction.APPROVE, DecisionAction.REMOVE)
