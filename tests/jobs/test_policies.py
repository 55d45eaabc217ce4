"""Employment-type policies and the dated minimum-wage table (pure: no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.models import EmploymentType, PostingStatus, WageType
from jobs.policies import (
    FreelancePolicy,
    FullTimePolicy,
    MinimumWageTable,
    PartTimePolicy,
    PostingTerms,
    can_transition_posting,
    policy_for,
)

TABLE = MinimumWageTable({2024: 9_860, 2025: 10_030, 2026: 10_320})
PUBLISHED_2026 = dt.date(2026, 11, 25)
SEOUL = ZoneInfo("Asia/Seoul")


def terms(**overrides: object) -> PostingTerms:
    base: dict[str, object] = {
        "employment_type": EmploymentType.PART_TIME,
        "wage_type": WageType.HOURLY,
        "wage_amount": 10_320,
        "hours_per_week": 20,
        "title": "홀서빙",
        "description": "주말 홀서빙",
        "region_code": "1168010100",
        "category": "food_service",
    }
    base.update(overrides)
    return PostingTerms(**base)  # type: ignore[arg-type]


class TestMinimumWageTable:
    def test_known_years(self) -> None:
        assert TABLE.hourly_for(2024) == (2024, 9_860)
        assert TABLE.hourly_for(2025) == (2025, 10_030)
        assert TABLE.hourly_for(2026) == (2026, 10_320)

    def test_future_year_uses_latest_known_and_past_year_the_earliest(self) -> None:
        assert TABLE.hourly_for(2027) == (2026, 10_320)
        assert TABLE.hourly_for(2019) == (2024, 9_860)

    def test_empty_table_is_refused(self) -> None:
        with pytest.raises(ValueError):
            MinimumWageTable({})


class TestWageCheck:
    def test_hourly_at_minimum_passes_and_one_won_below_fails(self) -> None:
        policy = policy_for(EmploymentType.PART_TIME)
        assert policy.check_wage(terms(wage_amount=10_320), TABLE, PUBLISHED_2026) is None
        finding = policy.check_wage(terms(wage_amount=10_319), TABLE, PUBLISHED_2026)
        assert finding is not None
        assert finding.minimum.required_amount == 10_320
        assert finding.shortfall == 1

    def test_year_of_start_date_decides_not_publication(self) -> None:
        policy = policy_for(EmploymentType.PART_TIME)
        # 10,100 is legal for work starting in 2025 and illegal for work starting in 2026.
        assert (
            policy.check_wage(terms(wage_amount=10_100, starts_on=dt.date(2025, 12, 1)), TABLE, PUBLISHED_2026) is None
        )
        assert policy.check_wage(terms(wage_amount=10_100, starts_on=dt.date(2026, 1, 5)), TABLE, PUBLISHED_2026)
        # Without a start date the publication date's year applies.
        assert policy.check_wage(terms(wage_amount=10_100), TABLE, dt.date(2025, 6, 1)) is None

    def test_daily_wage_is_compared_on_eight_hours(self) -> None:
        policy = policy_for(EmploymentType.PART_TIME)
        assert policy.check_wage(terms(wage_type=WageType.DAILY, wage_amount=82_560), TABLE, PUBLISHED_2026) is None
        finding = policy.check_wage(terms(wage_type=WageType.DAILY, wage_amount=82_559), TABLE, PUBLISHED_2026)
        assert finding is not None and finding.minimum.paid_hours == 8

    def test_monthly_full_time_is_compared_on_209_hours(self) -> None:
        policy = FullTimePolicy()
        monthly = terms(employment_type=EmploymentType.FULL_TIME, wage_type=WageType.MONTHLY, hours_per_week=None)
        # DOMAIN.md: 209 × 10,320 = 2,156,880 KRW in 2026.
        assert policy.check_wage(replace(monthly, wage_amount=2_156_880), TABLE, PUBLISHED_2026) is None
        finding = policy.check_wage(replace(monthly, wage_amount=2_156_879), TABLE, PUBLISHED_2026)
        assert finding is not None
        assert finding.minimum.paid_hours == Decimal(209)
        assert finding.minimum.required_amount == 2_156_880
        # 2024's rate: 209 × 9,860.
        old = policy.minimum_pay(monthly, TABLE, dt.date(2024, 3, 1))
        assert old is not None and old.required_amount == 2_060_740

    def test_monthly_part_time_counts_weekly_holiday_only_from_15_hours(self) -> None:
        policy = PartTimePolicy()
        twenty = policy.minimum_pay(
            terms(wage_type=WageType.MONTHLY, wage_amount=1, hours_per_week=20), TABLE, PUBLISHED_2026
        )
        # (20 h + 4 h weekly holiday) × 4.345 = 104.28 h
        assert twenty is not None and twenty.paid_hours == Decimal("104.28")
        assert twenty.required_amount == 1_076_169  # floor(104.28 × 10,320)
        twelve = policy.minimum_pay(
            terms(wage_type=WageType.MONTHLY, wage_amount=1, hours_per_week=12), TABLE, PUBLISHED_2026
        )
        # Below 15 h there is no weekly holiday pay: 12 × 4.345 = 52.14 h
        assert twelve is not None and twelve.paid_hours == Decimal("52.14")

    def test_twelve_hours_a_week_at_the_hourly_minimum_is_fine(self) -> None:
        # DOMAIN.md "things that look bad and are not": 주 12시간 시급 10,320원.
        assert PartTimePolicy().check_wage(terms(hours_per_week=12, wage_amount=10_320), TABLE, PUBLISHED_2026) is None

    def test_freelance_per_project_is_not_covered_but_hourly_freelance_is(self) -> None:
        policy = FreelancePolicy()
        per_project = terms(
            employment_type=EmploymentType.FREELANCE, wage_type=WageType.PER_PROJECT, wage_amount=50_000
        )
        assert policy.minimum_pay(per_project, TABLE, PUBLISHED_2026) is None
        hourly = terms(employment_type=EmploymentType.FREELANCE, wage_type=WageType.HOURLY, wage_amount=9_000)
        assert policy.check_wage(hourly, TABLE, PUBLISHED_2026) is not None

    @given(
        amount=st.integers(min_value=1, max_value=10_000_000),
        wage_type=st.sampled_from([WageType.HOURLY, WageType.DAILY, WageType.MONTHLY]),
        hours=st.one_of(st.none(), st.integers(min_value=1, max_value=52)),
        year=st.integers(min_value=2020, max_value=2030),
    )
    def test_finding_exactly_when_amount_below_required(
        self, amount: int, wage_type: WageType, hours: int | None, year: int
    ) -> None:
        policy = FullTimePolicy()
        candidate = terms(
            employment_type=EmploymentType.FULL_TIME, wage_type=wage_type, wage_amount=amount, hours_per_week=hours
        )
        published = dt.date(year, 6, 1)
        minimum = policy.minimum_pay(candidate, TABLE, published)
        assert minimum is not None
        finding = policy.check_wage(candidate, TABLE, published)
        assert (finding is not None) == (amount < minimum.required_amount)
        # A higher wage never turns a compliant posting into a violation.
        if finding is None:
            assert policy.check_wage(replace(candidate, wage_amount=amount + 1000), TABLE, published) is None

    @given(hours=st.integers(min_value=1, max_value=39))
    def test_fewer_weekly_hours_never_need_more_pay(self, hours: int) -> None:
        policy = PartTimePolicy()
        assert policy.monthly_paid_hours(hours) <= policy.monthly_paid_hours(hours + 1) <= Decimal(209)


class TestStructure:
    def test_part_time_requires_weekly_hours(self) -> None:
        violations = PartTimePolicy().validate(terms(hours_per_week=None))
        assert [(v.field, v.code) for v in violations] == [("hours_per_week", "required")]

    def test_full_time_and_freelance_do_not(self) -> None:
        assert FullTimePolicy().validate(terms(employment_type=EmploymentType.FULL_TIME, hours_per_week=None)) == []
        assert FreelancePolicy().validate(terms(employment_type=EmploymentType.FREELANCE, hours_per_week=None)) == []

    def test_per_project_pay_only_for_freelance(self) -> None:
        per_project = {"wage_type": WageType.PER_PROJECT, "wage_amount": 300_000}
        assert [v.code for v in FullTimePolicy().validate(terms(**per_project))] == ["wage_type_not_allowed"]
        assert [v.code for v in PartTimePolicy().validate(terms(**per_project))] == ["wage_type_not_allowed"]
        assert FreelancePolicy().validate(terms(**per_project)) == []

    def test_end_before_start_and_impossible_hours(self) -> None:
        codes = {
            v.code
            for v in PartTimePolicy().validate(
                terms(starts_on=dt.date(2026, 12, 10), ends_on=dt.date(2026, 12, 1), hours_per_week=80)
            )
        }
        assert codes == {"before_start", "out_of_range"}

    def test_unknown_employment_type(self) -> None:
        with pytest.raises(ValueError):
            policy_for("internship")


class TestLifetime:
    published = dt.datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)

    @pytest.mark.parametrize(
        ("employment_type", "days"),
        [(EmploymentType.FULL_TIME, 30), (EmploymentType.PART_TIME, 14), (EmploymentType.FREELANCE, 21)],
    )
    def test_default_lifetime_per_type(self, employment_type: str, days: int) -> None:
        assert policy_for(employment_type).expires_at(self.published, None, SEOUL) == self.published + dt.timedelta(
            days=days
        )

    def test_never_after_the_work_ends(self) -> None:
        expires = FullTimePolicy().expires_at(self.published, dt.date(2026, 11, 30), SEOUL)
        assert expires == dt.datetime(2026, 12, 1, 0, 0, tzinfo=SEOUL)


class TestTransitions:
    def test_closed_is_final(self) -> None:
        assert not any(can_transition_posting(PostingStatus.CLOSED, status) for status in PostingStatus.values)

    def test_hidden_can_be_restored_and_published_can_expire(self) -> None:
        assert can_transition_posting(PostingStatus.HIDDEN, PostingStatus.PUBLISHED)
        assert can_transition_posting(PostingStatus.PUBLISHED, PostingStatus.EXPIRED)
        assert not can_transition_posting(PostingStatus.PENDING_REVIEW, PostingStatus.EXPIRED)
