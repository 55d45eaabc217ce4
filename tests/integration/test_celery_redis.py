"""A real Celery worker consuming from the real Redis broker that `make test` starts."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from backoffice.celery import app as celery_app
from backoffice.models import AuditLog
from jobs.models import PostingStatus
from jobs.tasks import expire_postings
from tests.factories import JobPostingFactory


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_expiry_task_runs_on_a_worker_through_redis(redis_client) -> None:  # type: ignore[no-untyped-def]
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    due = JobPostingFactory(expires_at=timezone.now() - dt.timedelta(minutes=1))
    live = JobPostingFactory(expires_at=timezone.now() + dt.timedelta(days=1))

    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=settings.CELERY_WORKER_QUEUES
    ):
        result = expire_postings.delay()
        assert result.get(timeout=60) == {"expired": 1}
        # Re-running is harmless: the job is idempotent.
        assert expire_postings.delay().get(timeout=60) == {"expired": 0}

    due.refresh_from_db()
    live.refresh_from_db()
    assert due.status == PostingStatus.EXPIRED
    assert live.status == PostingStatus.PUBLISHED
    assert AuditLog.objects.filter(action="posting.status_changed", actor_kind="system").count() == 1


@pytest.mark.needs_postgres
def test_suite_runs_on_postgresql(require_postgres: None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]
