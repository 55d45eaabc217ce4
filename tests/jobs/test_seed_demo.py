"""``manage.py seed_demo``: coverage of every status and type, consistency, determinism, rule-breakers, logins."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Min, Q
from django.test import Client
from django.utils import timezone

from backoffice.management.commands.seed_demo import DEMO_PASSWORD, ROLE_USERS
from backoffice.models import AuditLog
from jobs import selectors
from jobs.demo import DISCRIMINATION_MARKERS
from jobs.models import (
    AccountStatus,
    Application,
    ApplicationStatus,
    Category,
    Employer,
    EmploymentType,
    JobPosting,
    PostingStatus,
    Seeker,
)
from jobs.policies import policy_for

pytestmark = pytest.mark.django_db

# A fixed clock: the demo rows are offsets from "today in Seoul", so a run across midnight would differ.
FIXED_NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def seed(**options: Any) -> str:
    out = StringIO()
    # The suite runs without DEBUG (production settings): --force stands for "this is a throwaway database".
    call_command("seed_demo", stdout=out, stderr=StringIO(), verbosity=0, force=True, **options)
    return out.getvalue()


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: FIXED_NOW)
    return FIXED_NOW


def test_seed_covers_every_type_category_and_status_consistently() -> None:
    output = seed(postings=300, seed=7, no_users=True)

    postings = list(JobPosting.objects.all())
    applications = list(Application.objects.select_related("posting"))
    assert len(postings) == 300
    assert "postings" in output and "300" in output
    assert {p.employment_type for p in postings} == set(EmploymentType.values)
    assert {p.category for p in postings} == set(Category.values)
    assert {p.status for p in postings} == set(PostingStatus.values)
    assert {a.status for a in applications} == set(ApplicationStatus.values)
    assert 2 <= len(applications) / len(postings) <= 4.5  # about three per posting
    assert not get_user_model().objects.exists()  # --no-users

    # The denormalised counters match the rows.
    by_posting: dict[int, list[Application]] = defaultdict(list)
    for application in applications:
        by_posting[application.posting_id].append(application)
    for posting in postings:
        own = by_posting.get(posting.pk, [])
        assert posting.application_count == len(own), posting.external_id
        assert posting.first_application_at == min((a.submitted_at for a in own), default=None)
    assert not (Application.objects.values("posting", "seeker").annotate(n=Count("id")).filter(n__gt=1).exists()), (
        "one application per (posting, seeker)"
    )


def test_seeded_rows_are_internally_consistent() -> None:
    seed(postings=300, seed=7, no_users=True)
    now = timezone.now()

    for posting in JobPosting.objects.all():
        policy = policy_for(posting.employment_type)
        assert posting.wage_type in policy.allowed_wage_types, posting.external_id
        assert not policy.validate(selectors.posting_terms(posting)), posting.external_id
        if posting.employment_type == EmploymentType.PART_TIME:
            assert posting.hours_per_week is not None
        if posting.status == PostingStatus.PUBLISHED:
            assert posting.published_at is not None and posting.expires_at is not None
            assert posting.expires_at > now, "a live posting has not expired yet"
        if posting.status == PostingStatus.EXPIRED:
            assert posting.expires_at is not None and posting.expires_at <= now
        if posting.status == PostingStatus.CLOSED:
            assert posting.close_reason and posting.closed_at is not None
        if posting.status == PostingStatus.PENDING_REVIEW:
            assert posting.published_at is None
        assert posting.created_at <= posting.status_changed_at <= now
        if posting.published_at is not None:
            assert posting.created_at <= posting.published_at

    steps = {
        ApplicationStatus.SUBMITTED: set(),
        ApplicationStatus.VIEWED: {"viewed_at"},
        ApplicationStatus.SHORTLISTED: {"viewed_at", "shortlisted_at"},
        ApplicationStatus.HIRED: {"viewed_at", "shortlisted_at", "hired_at"},
        ApplicationStatus.REJECTED: {"viewed_at", "rejected_at"},
        ApplicationStatus.WITHDRAWN: {"withdrawn_at"},
    }
    optional = {ApplicationStatus.REJECTED: {"shortlisted_at"}, ApplicationStatus.WITHDRAWN: {"viewed_at"}}
    stamp_fields = ("viewed_at", "shortlisted_at", "hired_at", "rejected_at", "withdrawn_at")
    latest_activity: dict[int, dt.datetime] = {}
    first_application: dict[int, dt.datetime] = {}
    for application in Application.objects.select_related("posting"):
        posting = application.posting
        assert posting.published_at is not None
        assert application.submitted_at >= posting.published_at >= posting.created_at
        present = {name for name in stamp_fields if getattr(application, name) is not None}
        required = steps[ApplicationStatus(application.status)]
        assert required <= present <= required | optional.get(ApplicationStatus(application.status), set())
        times = [application.submitted_at, *(getattr(application, name) for name in sorted(present))]
        assert application.status_changed_at == max(times)
        assert application.status_changed_at <= now
        activity = application.withdrawn_at or application.submitted_at
        latest_activity[application.seeker_id] = max(activity, latest_activity.get(application.seeker_id, activity))
        first_application[application.seeker_id] = min(
            application.submitted_at, first_application.get(application.seeker_id, application.submitted_at)
        )
    for seeker in Seeker.objects.filter(pk__in=latest_activity):
        assert seeker.created_at <= first_application[seeker.pk] <= latest_activity[seeker.pk] <= seeker.last_active_at

    for employer in Employer.objects.all():
        if employer.account_status == AccountStatus.SUSPENDED:
            assert employer.suspended_until is not None and employer.suspended_until > now
    first_posting = dict(
        JobPosting.objects.values("employer").annotate(first=Min("created_at")).values_list("employer", "first")
    )
    for employer in Employer.objects.filter(pk__in=first_posting):
        assert employer.created_at < first_posting[employer.pk], "registered before posting"
    # Field validators (10-digit region codes and business numbers, choices) hold, not only the constraints.
    for row in [*Employer.objects.all()[:50], *Seeker.objects.all()[:50], *JobPosting.objects.all()[:50]]:
        row.full_clean(validate_unique=False)

    entry = AuditLog.objects.get(action="demo.seeded")
    assert entry.actor_label == "seed_demo"
    assert entry.metadata["seed"] == 7
    assert entry.metadata["postings"] == 300
    assert entry.metadata["applications"] == Application.objects.count()


def _snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    postings = list(
        JobPosting.objects.order_by("external_id").values_list(
            "external_id", "title", "wage_amount", "status", "created_at", "employer__external_id"
        )
    )
    applications = list(
        Application.objects.order_by("external_id").values_list(
            "external_id", "status", "submitted_at", "posting__external_id", "seeker__external_id"
        )
    )
    return postings, applications


def test_same_seed_same_rows_and_reset_replaces_them(fixed_now: dt.datetime) -> None:
    seed(postings=300, seed=7, no_users=True)
    first = _snapshot()

    output = seed(postings=300, seed=7, no_users=True, reset=True)
    assert "Deleted demo rows" in output
    assert _snapshot() == first
    assert JobPosting.objects.count() == 300  # replaced, not added

    seed(postings=300, seed=8, no_users=True, reset=True)
    assert _snapshot() != first
    # The audit log is append-only: --reset deletes jobs rows, never audit rows.
    assert AuditLog.objects.filter(action="demo.seeded").count() == 3


def test_rule_breaking_postings_are_present() -> None:
    seed(postings=300, seed=7, no_users=True)
    table = selectors.minimum_wage_table()

    postings = list(JobPosting.objects.all())
    assert any(selectors.posting_wage_finding(posting=p, table=table) for p in postings), "below minimum wage"
    assert JobPosting.objects.filter(description__contains="010").exists(), "phone number in the text"
    discriminatory = Q()
    for marker in DISCRIMINATION_MARKERS:
        discriminatory |= Q(description__contains=marker) | Q(title__contains=marker)
    assert JobPosting.objects.filter(discriminatory).exists()
    assert JobPosting.objects.filter(title__contains="현금 수거").exists(), "voice-phishing mule recruitment"
    reposts = Counter(JobPosting.objects.values_list("employer_id", "content_fingerprint"))
    assert max(reposts.values()) >= 2, "an employer re-posting the same text"
    # Rule-breakers are a minority: most of the demo is ordinary postings.
    assert sum(1 for p in postings if selectors.posting_wage_finding(posting=p, table=table)) < len(postings) * 0.1


def test_demo_users_can_log_in_with_their_roles(client: Client) -> None:
    output = seed(postings=20, seed=1)

    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    for username, role in ROLE_USERS.items():
        user = User.objects.get(username=username)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert username in output
    for username in ["admin", *ROLE_USERS]:
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()

    # Idempotent: a changed password and a lost group are put back, no duplicate users.
    moderator = User.objects.get(username="moderator")
    moderator.set_password("something-else-entirely")
    moderator.save()
    moderator.groups.clear()
    seed(users_only=True)
    assert client.login(username="moderator", password=DEMO_PASSWORD)
    assert list(moderator.groups.values_list("name", flat=True)) == [ROLE_USERS["moderator"]]
    assert User.objects.count() == 1 + len(ROLE_USERS)


def test_refuses_to_seed_twice_without_reset() -> None:
    seed(postings=30, seed=3, no_users=True)
    with pytest.raises(CommandError, match="--reset"):
        seed(postings=30, seed=3, no_users=True)
    assert JobPosting.objects.count() == 30
    assert AuditLog.objects.filter(action="demo.seeded").count() == 1


def test_rejects_a_non_positive_posting_count() -> None:
    with pytest.raises(CommandError):
        seed(postings=0)


def test_progress_bar_runs_at_default_verbosity() -> None:
    # The tqdm bar writes to stderr; at default verbosity it must not break the command.
    call_command("seed_demo", postings=15, seed=2, no_users=True, force=True, stdout=StringIO(), stderr=StringIO())
    assert JobPosting.objects.count() == 15


def _indexes() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: {
                name
                for name, info in connection.introspection.get_constraints(cursor, model._meta.db_table).items()
                if info["index"] or info["unique"]
            }
            for model in (Employer, Seeker, JobPosting, Application)
        }


def test_indexes_are_the_same_after_a_seed_and_after_a_failed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # On SQLite the seed drops the secondary indexes and builds them again after the inserts.
    before = _indexes()
    seed(postings=40, seed=5, no_users=True)
    assert _indexes() == before

    def broken_fingerprint(title: str, description: str) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("jobs.demo.content_fingerprint", broken_fingerprint)
    with pytest.raises(RuntimeError, match="boom"):
        seed(postings=40, seed=6, no_users=True, reset=True)
    # The failed seed rolled back entirely: the previous demo rows, the indexes, and no second audit row.
    assert _indexes() == before
    assert JobPosting.objects.count() == 40
    assert AuditLog.objects.filter(action="demo.seeded").count() == 1


def test_refuses_without_debug_unless_forced() -> None:
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", postings=15, stdout=StringIO(), stderr=StringIO(), verbosity=0)
    assert not JobPosting.objects.exists()


def test_fills_the_review_queue_through_the_moderation_services() -> None:
    from backoffice.models import AuditLog
    from moderation.models import Case, CaseStatus, Report

    seed(postings=400, seed=5, reports=60)
    assert Report.objects.count() >= 60
    assert Case.objects.exclude(status=CaseStatus.RESOLVED).exists()
    assert Case.objects.filter(status=CaseStatus.RESOLVED).exists()
    assert AuditLog.objects.filter(action="case.decided", actor__username="senior").exists()
    # --reset removes moderation rows first, then the jobs rows they point at.
    seed(postings=50, seed=5, reset=True, reports=10)
    assert JobPosting.objects.count() == 50
