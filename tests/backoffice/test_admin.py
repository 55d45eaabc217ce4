"""The admin as staff use it: constant query counts, bounded counting, roles, and services behind every write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.audit import Actor, audit_record
from backoffice.models import AuditLog
from backoffice.roles import ANALYST, MODERATOR, OPS_ADMIN
from jobs.models import CloseReason, JobPosting, PostingStatus
from tests.factories import ApplicationFactory, EmployerFactory, JobPostingFactory, SeekerFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_postings(n: int) -> None:
    for _ in range(n):
        posting = JobPostingFactory(employer=EmployerFactory())
        ApplicationFactory(posting=posting)


def make_employers(n: int) -> None:
    EmployerFactory.create_batch(n)


def make_seekers(n: int) -> None:
    SeekerFactory.create_batch(n)


def make_audit(n: int) -> None:
    user = UserFactory()
    for employer in EmployerFactory.create_batch(n):
        audit_record(actor=Actor.staff(user), action="employer.updated", target=employer, after={"phone": "1"})


CHANGELISTS: list[tuple[str, Callable[[int], None]]] = [
    ("admin:jobs_jobposting_changelist", make_postings),
    ("admin:jobs_employer_changelist", make_employers),
    ("admin:jobs_seeker_changelist", make_seekers),
    ("admin:jobs_application_changelist", make_postings),
    ("admin:backoffice_auditlog_changelist", make_audit),
]


def count_queries(client: Client, url: str) -> tuple[int, list[str]]:
    # The first request of a session fills per-process caches (content types, the admin theme); measure after it.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(("url_name", "make_rows"), CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client: Client, url_name: str, make_rows: Callable[[int], None]
) -> None:
    url = reverse(url_name)
    make_rows(3)
    small, _ = count_queries(admin_client, url)
    make_rows(27)
    large, sql = count_queries(admin_client, url)
    assert large == small, "\n".join(sql)


@pytest.mark.parametrize(("url_name", "make_rows"), CHANGELISTS)
def test_changelist_never_counts_the_whole_table(
    admin_client: Client, url_name: str, make_rows: Callable[[int], None]
) -> None:
    make_rows(2)
    _, sql = count_queries(admin_client, reverse(url_name))
    unbounded_counts = [q for q in sql if "COUNT(" in q.upper() and "LIMIT" not in q.upper()]
    assert unbounded_counts == []


def test_more_rows_than_the_count_limit_say_so(admin_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ADMIN_COUNT_LIMIT = 5
    make_employers(8)
    response = admin_client.get(reverse("admin:jobs_employer_changelist"))
    assert "more than 5 results" in response.content.decode()


def test_posting_page_shows_applications_inline_with_constant_queries(admin_client: Client) -> None:
    posting = JobPostingFactory()
    ApplicationFactory(posting=posting)
    url = reverse("admin:jobs_jobposting_change", args=[posting.pk])
    small, _ = count_queries(admin_client, url)
    ApplicationFactory.create_batch(15, posting=posting)
    large, sql = count_queries(admin_client, url)
    assert large == small, "\n".join(sql)
    page = admin_client.get(url).content.decode()
    assert page.count('class="form-row') >= 1 or "applications-" in page
    assert "At or above the legal minimum" in page


def test_posting_page_flags_a_wage_below_the_minimum(admin_client: Client) -> None:
    posting = JobPostingFactory(wage_amount=9_000)
    page = admin_client.get(reverse("admin:jobs_jobposting_change", args=[posting.pk])).content.decode()
    assert "Hourly 9,000 KRW is below the legal 10,320 KRW" in page


def test_employer_page_shows_postings_and_account_status(admin_client: Client) -> None:
    employer = EmployerFactory(business_name="한빛물류")
    JobPostingFactory(employer=employer, title="상하차 단기 알바")
    JobPostingFactory(employer=employer, status=PostingStatus.HIDDEN, title="숨김 공고")
    page = admin_client.get(reverse("admin:jobs_employer_change", args=[employer.pk])).content.decode()
    assert "상하차 단기 알바" in page and "숨김 공고" in page
    assert "Published: 1" in page and "Hidden: 1" in page
    assert "Active" in page


def test_the_admin_is_themed(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "admin-interface" in page


def role_client(role: str) -> Client:
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


class TestRolesInTheAdmin:
    def test_analyst_reads_but_cannot_change_or_act(self) -> None:
        client = role_client(ANALYST)
        posting = JobPostingFactory()
        assert client.get(reverse("admin:jobs_jobposting_changelist")).status_code == 200
        page = client.get(reverse("admin:jobs_jobposting_change", args=[posting.pk])).content.decode()
        assert 'name="_save"' not in page
        response = client.post(
            reverse("admin:jobs_jobposting_changelist"),
            {"action": "close_postings", "_selected_action": [posting.pk]},
        )
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED
        assert response.status_code in (200, 302)

    def test_moderator_closes_postings_through_a_confirmation_page(self) -> None:
        client = role_client(MODERATOR)
        postings = JobPostingFactory.create_batch(2)
        url = reverse("admin:jobs_jobposting_changelist")
        selected = [p.pk for p in postings]
        confirm = client.post(url, {"action": "close_postings", "_selected_action": selected})
        assert confirm.status_code == 200
        assert "Yes, close them" in confirm.content.decode()
        assert not JobPosting.objects.filter(status=PostingStatus.CLOSED).exists()
        done = client.post(
            url,
            {
                "action": "close_postings",
                "_selected_action": selected,
                "confirm": "yes",
                "reason": CloseReason.CANCELLED,
            },
            follow=True,
        )
        assert "2 closed, 0 skipped" in done.content.decode()
        assert JobPosting.objects.filter(status=PostingStatus.CLOSED, close_reason=CloseReason.CANCELLED).count() == 2
        assert AuditLog.objects.filter(action="posting.status_changed", actor_kind="staff").count() == 2

    def test_moderator_cannot_edit_posting_text(self) -> None:
        client = role_client(MODERATOR)
        posting = JobPostingFactory()
        page = client.get(reverse("admin:jobs_jobposting_change", args=[posting.pk])).content.decode()
        assert 'name="_save"' not in page

    def test_ops_admin_edit_goes_through_the_service_and_the_policy(self) -> None:
        client = role_client(OPS_ADMIN)
        posting = JobPostingFactory(wage_amount=11_000)
        url = reverse("admin:jobs_jobposting_change", args=[posting.pk])
        form = {
            "title": posting.title,
            "description": posting.description,
            "employment_type": posting.employment_type,
            "wage_type": posting.wage_type,
            "wage_amount": "12000",
            "hours_per_week": "",  # part-time without weekly hours: the policy refuses
            "region_code": posting.region_code,
            "category": posting.category,
            "starts_on": "",
            "ends_on": "",
            "applications-TOTAL_FORMS": "0",
            "applications-INITIAL_FORMS": "0",
            "applications-MIN_NUM_FORMS": "0",
            "applications-MAX_NUM_FORMS": "1000",
        }
        refused = client.post(url, form)
        assert refused.status_code == 200
        assert "This field is required for this employment type." in refused.content.decode()
        form["hours_per_week"] = "20"
        saved = client.post(url, form)
        assert saved.status_code == 302, saved.content.decode()[:2000]
        posting.refresh_from_db()
        assert posting.wage_amount == 12_000
        entry = AuditLog.objects.get(action="posting.updated")
        assert entry.changes["wage_amount"] == [11_000, 12_000]
        assert entry.actor_kind == "staff"
