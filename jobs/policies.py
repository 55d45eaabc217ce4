"""Employment-type policies: pure domain logic, no I/O.

One ``PostingPolicy`` per employment type (full-time, part-time, freelance), chosen by
``policy_for(employment_type)``. Each says which wage types it accepts, which fields it requires, how long a
posting lives by default, and what the legal minimum pay is for a posting's terms. The minimum wage is a
dated table (``MinimumWageTable``), passed in by the caller, so these classes stay pure and testable.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from jobs.models import EmploymentType, PostingStatus, WageType

# Paid hours in a month at 40 h/week: (40 h + 8 h weekly holiday pay) × 4.345 weeks ≈ 209 (고용노동부 기준).
STANDARD_MONTHLY_PAID_HOURS = Decimal(209)
WEEKS_PER_MONTH = Decimal("4.345")
FULL_WEEK_HOURS = 40
# 주휴수당 (weekly holiday pay) is owed only from 15 contractual hours a week.
WEEKLY_HOLIDAY_THRESHOLD_HOURS = 15
DAILY_HOURS = 8


@dataclass(frozen=True)
class MinimumWageTable:
    """Hourly legal minimum (KRW) by year."""

    hourly_by_year: Mapping[int, int]

    def __post_init__(self) -> None:
        if not self.hourly_by_year:
            raise ValueError("The minimum-wage table is empty.")

    def hourly_for(self, year: int) -> tuple[int, int]:
        """(year applied, hourly KRW). A year past the table uses the latest known year, a year before it
        the earliest: a posting is never left unjudged because next year's rate is not published yet."""
        if year in self.hourly_by_year:
            return year, self.hourly_by_year[year]
        known = sorted(self.hourly_by_year)
        applied = max((y for y in known if y <= year), default=known[0])
        return applied, self.hourly_by_year[applied]


@dataclass(frozen=True)
class PostingTerms:
    """What a policy judges: the employment terms of a posting, independent of the ORM."""

    employment_type: str
    wage_type: str
    wage_amount: int
    hours_per_week: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    title: str = ""
    description: str = ""
    region_code: str = ""
    category: str = ""

    def judged_year(self, published_on: dt.date) -> int:
        """The work's start year decides the applicable minimum; the publication date when none is given."""
        return (self.starts_on or published_on).year


@dataclass(frozen=True)
class MinimumPay:
    """The legal minimum for one wage unit, with the numbers a moderator needs to check it by hand."""

    year: int
    hourly_minimum: int
    paid_hours: Decimal
    required_amount: int


@dataclass(frozen=True)
class WageFinding:
    """A wage below the legal minimum, with its evidence."""

    amount: int
    minimum: MinimumPay
    wage_type: str

    @property
    def shortfall(self) -> int:
        return self.minimum.required_amount - self.amount

    def describe(self) -> str:
        return _(
            "%(wage_type)s %(amount)s KRW is below the legal %(required)s KRW (%(hours)s h × %(hourly)s KRW, %(year)d)"
        ) % {
            "wage_type": WageType(self.wage_type).label,
            "amount": f"{self.amount:,}",
            "required": f"{self.minimum.required_amount:,}",
            "hours": self.minimum.paid_hours,
            "hourly": f"{self.minimum.hourly_minimum:,}",
            "year": self.minimum.year,
        }


@dataclass(frozen=True)
class PolicyViolation:
    field: str
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)


class PostingPolicy(ABC):
    """Behaviour shared by all employment types; subclasses override the class attributes and hooks."""

    employment_type: ClassVar[EmploymentType]
    allowed_wage_types: ClassVar[frozenset[WageType]]
    default_lifetime: ClassVar[dt.timedelta]
    required_fields: ClassVar[tuple[str, ...]] = ("title", "description", "wage_amount", "region_code", "category")
    max_hours_per_week: ClassVar[int] = 52  # 40 h + 12 h overtime (근로기준법 제53조)

    # --- wage ---------------------------------------------------------------------------------------------
    def assumed_hours_per_week(self, terms: PostingTerms) -> int | None:
        """Weekly hours used for a monthly wage when the posting does not state them."""
        return terms.hours_per_week

    def monthly_paid_hours(self, hours_per_week: int | None) -> Decimal:
        """Paid hours per month for a monthly wage (DOMAIN.md, "Wages, precisely")."""
        if hours_per_week is None or hours_per_week >= FULL_WEEK_HOURS:
            # Above 40 h the extra hours are overtime at 150 %; judging on the 40 h base never flags an
            # honest posting (precision over sensitivity), and the overtime case is for a person.
            return STANDARD_MONTHLY_PAID_HOURS
        weekly_paid = Decimal(hours_per_week)
        if hours_per_week >= WEEKLY_HOLIDAY_THRESHOLD_HOURS:
            weekly_paid += Decimal(hours_per_week) / FULL_WEEK_HOURS * DAILY_HOURS
        return (weekly_paid * WEEKS_PER_MONTH).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def minimum_pay(self, terms: PostingTerms, table: MinimumWageTable, published_on: dt.date) -> MinimumPay | None:
        """The legal minimum for the posting's wage unit, or None when the minimum wage does not apply."""
        year, hourly = table.hourly_for(terms.judged_year(published_on))
        if terms.wage_type == WageType.HOURLY:
            paid_hours = Decimal(1)
        elif terms.wage_type == WageType.DAILY:
            paid_hours = Decimal(DAILY_HOURS)
        elif terms.wage_type == WageType.MONTHLY:
            paid_hours = self.monthly_paid_hours(self.assumed_hours_per_week(terms))
        else:
            return None
        required = int((paid_hours * hourly).to_integral_value(rounding=ROUND_FLOOR))
        return MinimumPay(year=year, hourly_minimum=hourly, paid_hours=paid_hours, required_amount=required)

    def check_wage(self, terms: PostingTerms, table: MinimumWageTable, published_on: dt.date) -> WageFinding | None:
        minimum = self.minimum_pay(terms, table, published_on)
        if minimum is None or terms.wage_amount >= minimum.required_amount:
            return None
        return WageFinding(amount=terms.wage_amount, minimum=minimum, wage_type=terms.wage_type)

    # --- structure ----------------------------------------------------------------------------------------
    def validate(self, terms: PostingTerms) -> list[PolicyViolation]:
        """Structural problems that make a posting unacceptable as entered (not the wage level)."""
        violations: list[PolicyViolation] = []
        for name in self.required_fields:
            value = getattr(terms, name)
            if value in (None, "", 0):
                violations.append(
                    PolicyViolation(name, "required", str(_("This field is required for this employment type.")))
                )
        if terms.wage_type not in self.allowed_wage_types:
            violations.append(
                PolicyViolation(
                    "wage_type",
                    "wage_type_not_allowed",
                    str(_("This wage type is not allowed for this employment type.")),
                    {"wage_type": terms.wage_type, "allowed": sorted(self.allowed_wage_types)},
                )
            )
        if terms.wage_amount is not None and terms.wage_amount <= 0:
            violations.append(PolicyViolation("wage_amount", "not_positive", str(_("The wage must be positive."))))
        if terms.hours_per_week is not None and not 1 <= terms.hours_per_week <= self.max_hours_per_week:
            violations.append(
                PolicyViolation(
                    "hours_per_week",
                    "out_of_range",
                    str(_("Weekly hours must be between 1 and %(max)d.")) % {"max": self.max_hours_per_week},
                )
            )
        if terms.starts_on and terms.ends_on and terms.ends_on < terms.starts_on:
            violations.append(PolicyViolation("ends_on", "before_start", str(_("The end date is before the start."))))
        return violations

    # --- lifetime -----------------------------------------------------------------------------------------
    def expires_at(self, published_at: dt.datetime, ends_on: dt.date | None, tz: dt.tzinfo) -> dt.datetime:
        """A posting stops recruiting after its default lifetime, and never after the work itself ends."""
        by_lifetime = published_at + self.default_lifetime
        if ends_on is None:
            return by_lifetime
        end_of_work = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return min(by_lifetime, end_of_work)


class FullTimePolicy(PostingPolicy):
    employment_type = EmploymentType.FULL_TIME
    allowed_wage_types = frozenset({WageType.MONTHLY, WageType.HOURLY, WageType.DAILY})
    default_lifetime = dt.timedelta(days=30)

    def assumed_hours_per_week(self, terms: PostingTerms) -> int | None:
        # Full-time without stated hours means the statutory 40 h week.
        return terms.hours_per_week or FULL_WEEK_HOURS


class PartTimePolicy(PostingPolicy):
    employment_type = EmploymentType.PART_TIME
    allowed_wage_types = frozenset({WageType.HOURLY, WageType.DAILY, WageType.MONTHLY})
    default_lifetime = dt.timedelta(days=14)
    # Without weekly hours neither the applicant nor the wage check can tell what a monthly sum is worth.
    required_fields = (*PostingPolicy.required_fields, "hours_per_week")


class FreelancePolicy(PostingPolicy):
    employment_type = EmploymentType.FREELANCE
    allowed_wage_types = frozenset({WageType.PER_PROJECT, WageType.HOURLY, WageType.DAILY, WageType.MONTHLY})
    default_lifetime = dt.timedelta(days=21)

    def minimum_pay(self, terms: PostingTerms, table: MinimumWageTable, published_on: dt.date) -> MinimumPay | None:
        # Per-project pay is outside the minimum-wage law. Time-based pay for "freelance" work is checked
        # anyway: paying by the hour for set hours is what disguised employment looks like.
        if terms.wage_type == WageType.PER_PROJECT:
            return None
        return super().minimum_pay(terms, table, published_on)


_POLICIES: dict[str, PostingPolicy] = {
    policy.employment_type: policy for policy in (FullTimePolicy(), PartTimePolicy(), FreelancePolicy())
}


def policy_for(employment_type: str) -> PostingPolicy:
    try:
        return _POLICIES[employment_type]
    except KeyError:
        raise ValueError(f"Unknown employment type: {employment_type!r}") from None


# --- status transitions -----------------------------------------------------------------------------------
# Which posting status may follow which. Closed is final (the employer ended it); everything else can be
# corrected by moderation (a hidden or rejected posting restored after review or appeal).
POSTING_TRANSITIONS: Mapping[str, frozenset[str]] = {
    PostingStatus.PENDING_REVIEW: frozenset(
        {PostingStatus.PUBLISHED, PostingStatus.HIDDEN, PostingStatus.REJECTED, PostingStatus.CLOSED}
    ),
    PostingStatus.PUBLISHED: frozenset(
        {PostingStatus.HIDDEN, PostingStatus.REJECTED, PostingStatus.CLOSED, PostingStatus.EXPIRED}
    ),
    PostingStatus.HIDDEN: frozenset({PostingStatus.PUBLISHED, PostingStatus.REJECTED, PostingStatus.CLOSED}),
    PostingStatus.REJECTED: frozenset({PostingStatus.PUBLISHED, PostingStatus.HIDDEN, PostingStatus.CLOSED}),
    PostingStatus.EXPIRED: frozenset({PostingStatus.PUBLISHED, PostingStatus.CLOSED}),
    PostingStatus.CLOSED: frozenset(),
}


def can_transition_posting(current: str, new: str) -> bool:
    return new in POSTING_TRANSITIONS.get(current, frozenset())
