"""Periodic jobs: every scheduled task gets the same guarantees from one decorator, ``periodic_job``.

- an explicit, stable task name and a queue by kind of work (``Queue``, routed by ``CELERY_TASK_ROUTES`` in
  settings — Celery deprecates the task's own ``queue`` attribute; a test checks the two agree);
- ``acks_late`` + ``reject_on_worker_lost``: a worker that dies mid-run leaves the message to be delivered
  again, so the job must be idempotent (each one re-checks its rows under their locks);
- soft and hard time limits, the soft one early enough for the job to stop between batches;
- retries with exponential backoff and jitter, **only** for transient infrastructure errors (a database or
  Redis connection lost, a deadlock); capped at 5 minutes, far below the Redis visibility timeout (an hour),
  which would otherwise deliver the task again while it waits;
- a lock (``streams.exclusive``) so two runs never overlap: django-celery-beat has no lock of its own, a
  run can outlast its interval, and a redelivered message can race the original. The loser returns at once;
- one structured log line per run (``job=… outcome=… duration_ms=… key=value…``) with the counts the job
  returns; state changes are audited by the services the job calls, as ``system``.

``PERIODIC_TASKS`` lists the decorated tasks; a test requires each one in ``backoffice.schedule``.
"""

from __future__ import annotations

import enum
import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError

from backoffice.events import streams

logger = logging.getLogger("backoffice.jobs")


class Queue(enum.StrEnum):
    DEFAULT = "default"  # work staff wait for: long admin actions with progress
    SCREENING = "screening"  # rule evaluation over postings
    MAINTENANCE = "maintenance"  # periodic housekeeping: expiry, claims, retention, reminders, digests


# Worth retrying: the infrastructure hiccupped. Anything else is a bug or bad data, and retrying it would
# only repeat the failure (it is recorded with its traceback in the results instead).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)
RETRY_BACKOFF_S = 5
RETRY_BACKOFF_MAX_S = 300
MAX_RETRIES = 5

PERIODIC_TASKS: dict[str, Queue] = {}


def _summary(result: Any) -> dict[str, Any]:
    if isinstance(result, Mapping):
        return dict(result)
    return {"count": result}


def periodic_job(
    name: str, *, queue: Queue = Queue.MAINTENANCE, time_limit: int = 300, lock: bool = True
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a periodic Celery task around ``func(**kwargs)`` (which returns a count or a dict of counts)."""

    def decorator(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def run(**kwargs: Any) -> dict[str, Any]:
            started = time.monotonic()
            try:
                if lock:
                    with streams.exclusive(f"job:{name}", ttl_s=time_limit * 2) as acquired:
                        if not acquired:
                            logger.info("job=%s outcome=skipped reason=another_run_holds_the_lock", name)
                            return {"skipped": "another run holds the lock"}
                        summary = _summary(func(**kwargs))
                else:
                    summary = _summary(func(**kwargs))
            except TRANSIENT_ERRORS as exc:
                logger.warning("job=%s outcome=retry error=%r", name, exc)
                raise
            except Exception:
                logger.exception("job=%s outcome=failed duration_ms=%d", name, (time.monotonic() - started) * 1000)
                raise
            fields = " ".join(f"{key}={value}" for key, value in summary.items())
            logger.info("job=%s outcome=ok duration_ms=%d %s", name, (time.monotonic() - started) * 1000, fields)
            return summary

        task = shared_task(
            name=name,
            acks_late=True,
            reject_on_worker_lost=True,
            soft_time_limit=max(1, time_limit - 30) if time_limit > 60 else max(1, time_limit - 5),
            time_limit=time_limit,
            autoretry_for=TRANSIENT_ERRORS,
            retry_backoff=RETRY_BACKOFF_S,
            retry_backoff_max=RETRY_BACKOFF_MAX_S,
            retry_jitter=True,
            max_retries=MAX_RETRIES,
        )(run)
        PERIODIC_TASKS[name] = queue
        return task

    return decorator
