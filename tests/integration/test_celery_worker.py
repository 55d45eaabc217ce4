"""Celery jobs on a real worker process against the real Redis broker (started by `make test`).

- A worker killed in the middle of a long job: the message is not lost (``acks_late`` +
  ``reject_on_worker_lost``), another worker process runs the job again, and nothing happens twice.
- Two runs of one periodic job at once: one does the work, the other steps aside (the job's lock).
- Every scheduled job runs on the worker, and each one's effect is in the database.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from backoffice.background import background_start
from backoffice.celery import app as celery_app
from backoffice.models import AuditLog, BackgroundJob, BackgroundJobStatus
from backoffice.roles import MODERATOR
from jobs.models import JobPosting, PostingStatus
from moderation.models import Case, CaseStatus, Decision, ReasonTemplate
from tests import events_factory
from tests.factories import JobPostingFactory
from tests.integration.test_faults import subprocess_database_url
from tests.moderation.conftest import file_report, make_user

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.needs_redis, pytest.mark.django_db(transaction=True)]


def wait_for(condition: Callable[[], Any], what: str, logs: Callable[[], str], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


class Worker:
    """``celery worker`` (prefork, like production) as a subprocess; never outlives the test."""

    def __init__(self, tmp: Path, redis_url: str) -> None:
        self.tmp = tmp
        self.redis_url = redis_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / "worker.log"

    def start(self, concurrency: int = 1) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
            "DATABASE_URL": subprocess_database_url("celery-worker"),
            "REDIS_URL": self.redis_url,
            # The broker is the one this process publishes to (CELERY_BROKER_URL from `make test`).
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
            # The relay waits this long for concurrent commits; nothing commits concurrently here.
            "OUTBOX_RELAY_LAG_MS": "0",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "backoffice", "worker",
            "--pool", "prefork", "--concurrency", str(concurrency),
            "--queues", "default,screening,maintenance",
            "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: b"ready." in self.log.read_bytes(), "the worker to be ready", self.logs, timeout=60)

    def children(self) -> list[int]:
        assert self.proc is not None
        output = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in output.split()]

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-8000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def worker(tmp_path: Path, redis_url: str, redis_client: Any) -> Iterator[Worker]:
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    # Messages other tests published and nobody consumed must not reach this worker.
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    broker.close()
    manager = Worker(tmp_path, redis_url)
    yield manager
    manager.stop()


def test_a_worker_killed_mid_job_hands_it_over_and_nothing_happens_twice(worker: Worker) -> None:
    moderator = make_user(MODERATOR, "bulk-mod")
    cases = [file_report(JobPostingFactory(), "scam").case for _ in range(240)]
    template = ReasonTemplate.objects.get(code="approve-no-violation")
    worker.start(concurrency=1)
    job = background_start(
        kind="moderation.bulk_decision",
        label="approve 240",
        user=moderator,
        params={"action": "approve", "cases": [[c.pk, c.version] for c in cases], "template_id": template.pk},
    )
    # Kill the pool process (not the main worker process) while it is deciding: what an OOM kill does.
    wait_for(lambda: BackgroundJob.objects.get(pk=job.pk).done >= 30, "the job to be under way", worker.logs)
    (child,) = worker.children()
    os.kill(child, signal.SIGKILL)
    done_when_killed = BackgroundJob.objects.get(pk=job.pk).done
    assert done_when_killed < 240, "the job must still be running when its process is killed"

    finished = wait_for(
        lambda: (j := BackgroundJob.objects.get(pk=job.pk)).is_finished and j,
        "the job to finish on a new pool process",
        worker.logs,
        timeout=120,
    )
    assert finished.status == BackgroundJobStatus.SUCCEEDED, finished.error
    assert finished.attempts == 2, "it ran again after the kill"
    assert finished.result["decided"] == 240 and finished.result["refused"] == 0
    assert Case.objects.filter(pk__in=[c.pk for c in cases], status=CaseStatus.RESOLVED).count() == 240
    # Exactly one decision per case: what the first attempt decided was not decided again.
    assert Decision.objects.filter(case__in=cases).count() == 240
    assert AuditLog.objects.filter(action="case.decided", actor=moderator).count() == 240
    assert "signal 9 (SIGKILL)" in worker.logs(), "the pool process was killed, not stopped"


def test_two_runs_of_a_periodic_job_at_once_one_does_the_work(worker: Worker) -> None:
    past = timezone.now() - dt.timedelta(minutes=5)
    due = [JobPostingFactory(expires_at=past - dt.timedelta(seconds=i)) for i in range(600)]
    worker.start(concurrency=2)
    first = celery_app.send_task("jobs.expire_postings", kwargs={"limit": 1000})
    second = celery_app.send_task("jobs.expire_postings", kwargs={"limit": 1000})
    results = [first.get(timeout=120), second.get(timeout=120)]
    skipped = [r for r in results if "skipped" in r]
    worked = [r for r in results if "skipped" not in r]
    assert len(skipped) == 1 and len(worked) == 1, results
    assert worked[0]["expired"] == 600
    assert JobPosting.objects.filter(pk__in=[p.pk for p in due], status=PostingStatus.EXPIRED).count() == 600
    # Each posting expired once: one audit row each.
    assert AuditLog.objects.filter(action="posting.status_changed", actor_label="expiry").count() == 600


def test_every_scheduled_job_runs_on_the_worker_and_does_its_work(worker: Worker) -> None:
    """One state that gives every periodic job something to do; each runs through Redis on the worker, and its
    effect is checked in the database."""
    from django_celery_beat.models import PeriodicTask

    from backoffice.audit import Actor
    from backoffice.models import DeadLetter, Notification, NotificationKind, OutboxEvent, ParkedEvent
    from backoffice.roles import OPS_ADMIN, SENIOR_MODERATOR
    from backoffice.schedule import DEFAULT_SCHEDULE, sync_schedule
    from jobs.models import Application, CloseReason, Seeker
    from tests.factories import ApplicationFactory, SeekerFactory, UserFactory
    from tests.jobs import calls as jobs_services

    now = timezone.now()
    days = dt.timedelta(days=1)
    make_user(SENIOR_MODERATOR, "senior-sla")
    make_user(OPS_ADMIN, "ops-digest")
    # expire_postings
    expired = JobPostingFactory(expires_at=now - dt.timedelta(minutes=1))
    # release_expired_claims
    claimed = file_report(JobPostingFactory(), "scam").case
    Case.objects.filter(pk=claimed.pk).update(
        claimed_by=UserFactory(), claimed_at=now - dt.timedelta(hours=1), claim_expires_at=now - dt.timedelta(minutes=1)
    )
    # escalate_overdue_cases
    overdue = file_report(JobPostingFactory(), "scam").case
    Case.objects.filter(pk=overdue.pk).update(due_at=now - dt.timedelta(hours=1))
    # remind_employers and close_unanswered_postings
    waiting = ApplicationFactory(posting=JobPostingFactory())
    Application.objects.filter(pk=waiting.pk).update(submitted_at=now - 4 * days, status_changed_at=now - 4 * days)
    JobPosting.objects.filter(pk=waiting.posting_id).update(first_application_at=now - 4 * days)
    ignored = ApplicationFactory(posting=JobPostingFactory())
    Application.objects.filter(pk=ignored.pk).update(submitted_at=now - 15 * days, status_changed_at=now - 15 * days)
    JobPosting.objects.filter(pk=ignored.posting_id).update(first_application_at=now - 15 * days)
    # anonymise_inactive_seekers
    inactive = SeekerFactory()
    Seeker.objects.filter(pk=inactive.pk).update(last_active_at=now - 800 * days)
    # screen_pending
    pending = JobPostingFactory(status=PostingStatus.PENDING_REVIEW)
    JobPosting.objects.filter(pk=pending.pk).update(updated_at=now - dt.timedelta(minutes=10))
    # recheck_wages: a new year's minimum above a live posting's wage
    below = JobPostingFactory(wage_amount=10_100)
    jobs_services.minimum_wage_set(actor=Actor.system("test"), year=now.year, hourly_amount=10_500)
    # relay_outbox: the reminder above writes one; expire_parked_events:
    closed_event = events_factory.envelope("posting.closed", {"posting_id": "never", "reason": "filled"})
    ParkedEvent.objects.create(
        event_id=closed_event["event_id"],
        type="posting.closed",
        occurred_at=now,
        waiting_for="posting:never",
        envelope=closed_event,
        transport="redis",
        expires_at=now - dt.timedelta(minutes=1),
    )
    sync_schedule()
    worker.start(concurrency=1)

    def run(task: str, **kwargs: Any) -> Any:
        return celery_app.send_task(task, kwargs=kwargs).get(timeout=120)

    # In the order a day would bring them; each returns its counts.
    results = {
        "jobs.expire_postings": run("jobs.expire_postings"),
        "moderation.release_expired_claims": run("moderation.release_expired_claims"),
        "moderation.escalate_overdue_cases": run("moderation.escalate_overdue_cases"),
        "jobs.remind_employers": run("jobs.remind_employers"),
        "jobs.close_unanswered_postings": run("jobs.close_unanswered_postings"),
        "jobs.anonymise_inactive_seekers": run("jobs.anonymise_inactive_seekers"),
        "moderation.screen_pending": run("moderation.screen_pending"),
        "moderation.recheck_wages": run("moderation.recheck_wages", year=now.year),
        "backoffice.relay_outbox": run("backoffice.relay_outbox"),
        "backoffice.expire_parked_events": run("backoffice.expire_parked_events"),
        "moderation.send_daily_digest": run("moderation.send_daily_digest"),
        "reports.rollup": run("reports.rollup"),
    }
    assert set(results) == {job.task for job in DEFAULT_SCHEDULE}, "every scheduled job is exercised here"
    assert all(isinstance(r, dict) and "skipped" not in r for r in results.values()), results

    assert JobPosting.objects.get(pk=expired.pk).status == PostingStatus.EXPIRED
    assert Case.objects.get(pk=claimed.pk).claimed_by_id is None
    assert Case.objects.get(pk=overdue.pk).status == CaseStatus.ESCALATED
    assert Notification.objects.filter(kind=NotificationKind.SLA_BREACH, recipient__username="senior-sla").exists()
    assert OutboxEvent.objects.filter(type="employer.reminder").count() >= 1
    closed = JobPosting.objects.get(pk=ignored.posting_id)
    assert closed.status == PostingStatus.CLOSED and closed.close_reason == CloseReason.NO_RESPONSE
    assert Seeker.objects.get(pk=inactive.pk).anonymized_at is not None
    assert JobPosting.objects.get(pk=pending.pk).status == PostingStatus.PUBLISHED
    assert Case.objects.filter(posting=below).exclude(status=CaseStatus.RESOLVED).exists()
    assert OutboxEvent.objects.exists() and not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert DeadLetter.objects.filter(reason__contains="posting:never").exists()
    assert Notification.objects.filter(kind=NotificationKind.DIGEST, recipient__username="ops-digest").exists()
    # The rollup's first run backfilled today's numbers: the posting expired above is counted today.
    from reports.models import DailyRollup, RollupWatermark

    assert RollupWatermark.objects.exists() and results["reports.rollup"]["days"] >= 1
    assert DailyRollup.objects.filter(metric="postings_expired", region="", category="", employment_type="").exists()
    assert PeriodicTask.objects.count() == len(DEFAULT_SCHEDULE)
