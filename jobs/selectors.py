"""Reads for the jobs domain: querysets already shaped (select_related / only) for their use."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet
from django.utils import timezone

from jobs.models import Application, Employer, JobPosting, MinimumWage, PostingStatus
from jobs.policies import MinimumWageTable, PostingTerms, WageFinding, policy_for


def minimum_wage_table() -> MinimumWageTable:
    """The whole table (a handful of rows); callers screening a batch load it once per batch."""
    return MinimumWageTable(dict(MinimumWage.objects.values_list("year", "hourly_amount")))


def posting_list() -> QuerySet[JobPosting]:
    return JobPosting.objects.select_related("employer")


def employer_posting_counts(*, employer: Employer) -> dict[str, int]:
    """Postings by status for one employer, every status present (zero when none)."""
    counts = dict(
        JobPosting.objects.filter(employer=employer)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in PostingStatus.values}


def employer_recent_postings(*, employer: Employer, limit: int = 20) -> QuerySet[JobPosting]:
    return JobPosting.objects.filter(employer=employer).order_by("-created_at")[:limit]


def posting_applications(*, posting: JobPosting) -> QuerySet[Application]:
    return Application.objects.filter(posting=posting).select_related("seeker").order_by("-submitted_at")


def postings_due_for_expiry(*, now: dt.datetime) -> QuerySet[JobPosting]:
    return JobPosting.objects.filter(status=PostingStatus.PUBLISHED, expires_at__lte=now).order_by("expires_at")


def posting_terms(posting: JobPosting) -> PostingTerms:
    return PostingTerms(
        employment_type=posting.employment_type,
        wage_type=posting.wage_type,
        wage_amount=posting.wage_amount,
        hours_per_week=posting.hours_per_week,
        starts_on=posting.starts_on,
        ends_on=posting.ends_on,
        title=posting.title,
        description=posting.description,
        region_code=posting.region_code,
        category=posting.category,
    )


def posting_wage_finding(*, posting: JobPosting, table: MinimumWageTable | None = None) -> WageFinding | None:
    """The posting's wage against the legal minimum of the year it is judged by (None when compliant)."""
    table = table or minimum_wage_table()
    judged_on = timezone.localdate(posting.published_at or posting.created_at)
    return policy_for(posting.employment_type).check_wage(posting_terms(posting), table, judged_on)
