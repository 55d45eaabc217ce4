"""Long admin actions as background jobs with progress, and the automation page.

The task is executed here with ``apply`` (in-process, the real task code and database); the same task on a
real worker through Redis, killed mid-job, is in tests/integration/test_celery_worker.py.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from backoffice.background import run_background_job
from backoffice.models import AuditLog, BackgroundJob, BackgroundJobStatus, Notification
from backoffice.roles import MODERATOR, OPS_ADMIN
from backoffice.schedule import sync_schedule
from moderation.actions import decisions
from moderation.models import Case, CaseStatus, Decision, ReasonTemplate, Rule
from tests.factories import JobPostingFactory
from tests.moderation.conftest import file_report, make_user

pytestmark = pytest.mark.django_db

QUEUE = "admin:moderation_case_changelist"
DEFAULT_RULES = importlib.import_module("moderation.migrations.0005_default_rules")


@pytest.fixture
def moderator(db: None) -> Any:
    return make_user(MODERATOR, "mod1")


@pytest.fixture
def moderator2(db: None) -> Any:
    return make_user(MODERATOR, "mod2")


@pytest.fixture
def opsadmin(db: None) -> Any:
    return make_user(OPS_ADMIN, "ops1")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_cases(n: int) -> list[Case]:
    return [file_report(JobPostingFactory(), "scam").case for _ in range(n)]


def approve_all(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    template = ReasonTemplate.objects.get(code="approve-no-violation")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse(QUEUE),
            {
                "action": "bulk_approve",
                "select_across": "1",
                "_selected_action": ["0"],
                "confirm": "yes",
                "template": template.pk,
            },
        )
    return response, callbacks


class TestBulkDecisionInTheBackground:
    def test_many_cases_are_queued_decided_by_the_task_and_reported(  # type: ignore[no-untyped-def]
        self, moderator, django_capture_on_commit_callbacks
    ) -> None:
        cases = make_cases(60)
        response, callbacks = approve_all(client_for(moderator), django_capture_on_commit_callbacks)
        job = BackgroundJob.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse(
            "admin:backoffice_backgroundjob_change", args=[job.pk]
        )
        assert len(callbacks) == 1, "the task is queued once the request's transaction commits"
        assert job.status == BackgroundJobStatus.QUEUED and len(job.params["cases"]) == 60
        assert Case.objects.filter(status=CaseStatus.RESOLVED).count() == 0, "nothing decided in the request"

        page = client_for(moderator).get(reverse("admin:backoffice_backgroundjob_change", args=[job.pk]))
        assert page.status_code == 200 and b'http-equiv="refresh"' in page.content and b"<progress" in page.content

        assert run_background_job.apply(args=[job.pk]).get() == BackgroundJobStatus.SUCCEEDED
        job.refresh_from_db()
        assert job.status == BackgroundJobStatus.SUCCEEDED and (job.done, job.total) == (60, 60)
        assert job.result["decided"] == 60 and job.result["refused"] == 0
        assert Case.objects.filter(pk__in=[c.pk for c in cases], status=CaseStatus.RESOLVED).count() == 60
        assert Decision.objects.filter(moderator=moderator).count() == 60
        notification = Notification.objects.get(recipient=moderator)
        assert notification.url.endswith(f"/{job.pk}/change/")
        assert AuditLog.objects.filter(action="background_job.queued", actor=moderator).count() == 1
        assert AuditLog.objects.filter(action="background_job.finished", actor_kind="system").count() == 1
        page = client_for(moderator).get(reverse("admin:backoffice_backgroundjob_change", args=[job.pk]))
        assert b'http-equiv="refresh"' not in page.content and "60 of 60" in page.content.decode()

        # A redelivered message for a finished job does nothing.
        assert run_background_job.apply(args=[job.pk]).get() == BackgroundJobStatus.SUCCEEDED
        assert Decision.objects.filter(moderator=moderator).count() == 60

    def test_a_rerun_after_a_worker_died_counts_its_own_decisions_and_decides_the_rest(  # type: ignore[no-untyped-def]
        self, moderator, django_capture_on_commit_callbacks
    ) -> None:
        cases = make_cases(55)
        approve_all(client_for(moderator), django_capture_on_commit_callbacks)
        job = BackgroundJob.objects.get()
        # The first attempt decided 20 cases, then its worker was killed: the job is still "running".
        BackgroundJob.objects.filter(pk=job.pk).update(status=BackgroundJobStatus.RUNNING, attempts=1)
        for case in cases[:20]:
            decisions.case_decide(
                user=moderator,
                case=case,
                request=decisions.DecisionRequest(
                    action="approve",
                    expected_version=case.version,
                    reason_template=ReasonTemplate.objects.get(code="approve-no-violation"),
                ),
            )
        run_background_job.apply(args=[job.pk]).get()
        job.refresh_from_db()
        assert job.status == BackgroundJobStatus.SUCCEEDED and job.attempts == 2
        assert job.result["decided"] == 55 and job.result["refused"] == 0
        assert Decision.objects.filter(moderator=moderator).count() == 55, "no case decided twice"

    def test_a_case_changed_after_confirmation_is_refused_and_listed(  # type: ignore[no-untyped-def]
        self, moderator, django_capture_on_commit_callbacks
    ) -> None:
        cases = make_cases(51)
        approve_all(client_for(moderator), django_capture_on_commit_callbacks)
        file_report(cases[0].posting, "scam")  # a new report changes the case after the moderator confirmed
        job = BackgroundJob.objects.get()
        run_background_job.apply(args=[job.pk]).get()
        job.refresh_from_db()
        assert job.result["decided"] == 50 and job.result["refused"] == 1
        assert job.result["tables"][0]["rows"][0][0]["text"] == f"#{cases[0].pk}"
        assert Case.objects.get(pk=cases[0].pk).status != CaseStatus.RESOLVED

    def test_a_few_cases_are_still_decided_in_the_request(  # type: ignore[no-untyped-def]
        self, moderator, django_capture_on_commit_callbacks
    ) -> None:
        make_cases(3)
        approve_all(client_for(moderator), django_capture_on_commit_callbacks)
        assert not BackgroundJob.objects.exists()
        assert Case.objects.filter(status=CaseStatus.RESOLVED).count() == 3

    def test_others_cannot_see_a_moderators_job(self, moderator, moderator2, opsadmin) -> None:  # type: ignore[no-untyped-def]
        job = BackgroundJob.objects.create(kind="moderation.bulk_decision", label="x", requested_by=moderator)
        url = reverse("admin:backoffice_backgroundjob_change", args=[job.pk])
        assert client_for(moderator2).get(url).status_code == 403
        assert client_for(opsadmin).get(url).status_code == 200
        listing = client_for(moderator2).get(reverse("admin:backoffice_backgroundjob_changelist"))
        assert listing.status_code == 200 and b"0 background jobs" in listing.content


class TestDryRunInTheBackground:
    def test_a_large_window_runs_as_a_job_with_progress_and_a_result_table(  # type: ignore[no-untyped-def]
        self, opsadmin, django_capture_on_commit_callbacks
    ) -> None:
        DEFAULT_RULES.seed(apps, None)
        JobPostingFactory(description="연락은 010-1234-5678 로 주세요")
        JobPostingFactory()
        rule = Rule.objects.get(name="P4 연락처 기재 (전화·메신저·이메일·링크)")
        client = client_for(opsadmin)
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                reverse("admin:moderation_rule_changelist"),
                {"action": "dry_run", "_selected_action": [rule.pk], "run": "1", "days": 7, "limit": 100_000},
            )
        job = BackgroundJob.objects.get()
        assert response.status_code == 302 and job.params["limit"] == 100_000
        run_background_job.apply(args=[job.pk]).get()
        job.refresh_from_db()
        assert job.status == BackgroundJobStatus.SUCCEEDED and job.result["scanned"] == 2 and job.total == 2
        rules_table = job.result["tables"][0]
        assert rules_table["rows"][0][0] == rule.name and rules_table["rows"][0][1] == 1
        page = client.get(reverse("admin:backoffice_backgroundjob_change", args=[job.pk])).content.decode()
        assert rule.name in page and "What the rules would have flagged" in page


class TestAutomationPage:
    def test_lists_every_periodic_job_with_its_last_run_and_recent_failures(self, opsadmin) -> None:  # type: ignore[no-untyped-def]
        sync_schedule()
        task = PeriodicTask.objects.get(name="Expire postings")
        task.last_run_at = timezone.now()
        task.save()
        now = timezone.now()
        TaskResult.objects.create(
            task_id="ok-1",
            task_name="jobs.expire_postings",
            periodic_task_name="Expire postings",
            status="SUCCESS",
            result='{"expired": 7}',
            date_started=now - timezone.timedelta(seconds=3),
            date_done=now,
        )
        TaskResult.objects.create(
            task_id="bad-1",
            task_name="moderation.release_expired_claims",
            periodic_task_name="Release expired claims",
            status="FAILURE",
            result='{"exc_type": "RuntimeError"}',
            traceback="Traceback (most recent call last):\n  RuntimeError: boom",
            date_done=now,
        )
        page = client_for(opsadmin).get(reverse("admin:automation"))
        assert page.status_code == 200
        html = page.content.decode()
        for job in PeriodicTask.objects.all():
            assert escape(job.name) in html
        assert "expired 7" in html and "RuntimeError: boom" in html and "3.0 s" in html

    def test_moderators_cannot_open_it(self, moderator) -> None:  # type: ignore[no-untyped-def]
        assert client_for(moderator).get(reverse("admin:automation")).status_code == 403


class TestAutomationStatus:
    def test_a_job_beat_stopped_sending_is_late_and_one_never_run_is_due_later(self, db: None) -> None:
        from backoffice.automation_status import periodic_jobs

        sync_schedule()
        now = timezone.now()
        PeriodicTask.objects.filter(name="Release expired claims").update(
            last_run_at=now - timezone.timedelta(minutes=20)
        )
        by_name = {job.task.name: job for job in periodic_jobs(now=now)}
        late = by_name["Release expired claims"]
        assert late.overdue and late.next_run_at is not None and late.next_run_at < now
        fresh = by_name["Daily operations digest"]
        assert not fresh.overdue and fresh.next_run_at is not None and fresh.next_run_at > now
        # A result newer than beat's own record (beat saves last_run_at every few minutes) counts as the last run.
        TaskResult.objects.create(
            task_id="recent",
            task_name="moderation.release_expired_claims",
            periodic_task_name="Release expired claims",
            status="SUCCESS",
            result='{"released": 0}',
            date_done=now,
        )
        assert not {job.task.name: job for job in periodic_jobs(now=now)}["Release expired claims"].overdue
