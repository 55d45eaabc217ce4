"""Reads for the automation page: is every periodic job alive, when did it last run, what failed?

From django-celery-beat (the schedule staff edit: enabled, crontab, last run sent by beat) and
django-celery-results (each run's outcome, duration and traceback, ``periodic_task_name`` set by beat).
A constant number of queries whatever the number of jobs or results.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

FAILURE_STATES = ("FAILURE", "REVOKED")
RECENT_FAILURES = 20
OVERDUE_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class JobStatus:
    task: PeriodicTask
    last_sent_at: dt.datetime | None
    last_result: TaskResult | None
    next_run_at: dt.datetime | None
    overdue: bool  # beat should have sent it by now and has not: is beat running?

    @property
    def outcome(self) -> str:
        return self.last_result.status if self.last_result else ""

    @property
    def duration(self) -> dt.timedelta | None:
        result = self.last_result
        if result is None or result.date_done is None:
            return None
        start = result.date_started or result.date_created
        return result.date_done - start if start else None

    @property
    def summary(self) -> str:
        """What the last run returned (the job's counts), readable."""
        if self.last_result is None or not self.last_result.result:
            return ""
        try:
            value: Any = json.loads(self.last_result.result)
        except ValueError:
            return self.last_result.result[:200]
        if isinstance(value, dict):
            return ", ".join(f"{key} {val}" for key, val in value.items())[:200]
        return str(value)[:200]


def _last_run(task: PeriodicTask, result: TaskResult | None) -> dt.datetime | None:
    """When it last ran: beat's own record (saved every few minutes) or its newest result, whichever is later."""
    times = [t for t in (task.last_run_at, result.date_created if result else None) if t is not None]
    return max(times) if times else None


def _next_run(task: PeriodicTask, last_run: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """When beat will send it next (in the past when it is late)."""
    if not task.enabled:
        return None
    if task.scheduler is None or task.clocked_id:  # no schedule, or a one-off: no next run to show
        return None
    # Celery's estimate is relative to now: negative when the run after ``last_run`` is overdue.
    return now + task.schedule.remaining_estimate(last_run or now)


def periodic_jobs(*, now: dt.datetime | None = None) -> list[JobStatus]:
    now = now or timezone.now()
    latest = TaskResult.objects.filter(periodic_task_name=OuterRef("name")).order_by("-date_created")
    tasks = list(
        PeriodicTask.objects.select_related("crontab", "interval", "solar", "clocked")
        .annotate(last_result_id=Subquery(latest.values("id")[:1]))
        .order_by("name")
    )
    results = TaskResult.objects.in_bulk([t.last_result_id for t in tasks if t.last_result_id])
    statuses = []
    for task in tasks:
        result = results.get(task.last_result_id) if task.last_result_id else None
        last_run = _last_run(task, result)
        next_run = _next_run(task, last_run, now)
        statuses.append(
            JobStatus(
                task=task,
                last_sent_at=last_run,
                last_result=result,
                next_run_at=next_run,
                # Due more than 5 minutes ago and not sent: beat is probably not running.
                overdue=bool(next_run and last_run and next_run < now - OVERDUE_AFTER),
            )
        )
    return statuses


def recent_failures(*, limit: int = RECENT_FAILURES) -> list[TaskResult]:
    return list(TaskResult.objects.filter(status__in=FAILURE_STATES).order_by("-date_done")[:limit])
