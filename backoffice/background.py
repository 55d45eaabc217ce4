"""Long admin actions as Celery tasks with progress (bulk decisions, rule dry-runs over many postings).

A request that would touch tens of thousands of rows does not run in the request: ``background_start``
records a ``BackgroundJob`` (audited) and queues ``backoffice.run_background_job`` after the commit
(``delay_on_commit``); the admin's job page shows ``done`` of ``total`` while it runs and the result when it
ends, and the requester gets an in-admin notification.

Apps register a handler per kind in their ``background_jobs`` module (``@handler("moderation.bulk_decision")``,
imported on first use). A handler receives the job and a ``Progress`` to report to, returns a JSON-able result
(``{"summary": [lines], "tables": [{"title", "columns", "rows"}]}`` is rendered by the job page; a cell may be
``{"text", "url"}``), and must be safe to run again from the start: the task is ``acks_late`` with
``reject_on_worker_lost``, so a worker that dies mid-job hands it to another, which runs the
handler again (handlers skip what is already done, e.g. cases already decided).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from celery import shared_task
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import Actor, audit_record
from backoffice.automation import MAX_RETRIES, RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S, TRANSIENT_ERRORS
from backoffice.models import BackgroundJob, BackgroundJobStatus, NotificationKind
from backoffice.notifications import notify

logger = logging.getLogger(__name__)

# Long, but well under the Redis visibility timeout (an hour): a job still running then would be delivered
# to a second worker.
TIME_LIMIT_S = 30 * 60
SOFT_TIME_LIMIT_S = TIME_LIMIT_S - 60
# Progress is written at most this often (each write is an UPDATE of the job row).
PROGRESS_EVERY_S = 0.5


class Progress:
    """What a handler reports as it goes: ``total`` once, then ``advance``/``update`` (throttled writes)."""

    def __init__(self, job: BackgroundJob) -> None:
        self.job = job
        self._written = 0.0

    def total(self, total: int, message: str = "") -> None:
        self.job.total = total
        self._write(force=True, message=message)

    def update(self, done: int, message: str = "") -> None:
        self.job.done = done
        self._write(force=False, message=message)

    def advance(self, count: int = 1, message: str = "") -> None:
        self.update(self.job.done + count, message)

    def _write(self, *, force: bool, message: str) -> None:
        now = time.monotonic()
        if not force and now - self._written < PROGRESS_EVERY_S:
            return
        self._written = now
        fields: dict[str, Any] = {"total": self.job.total, "done": min(self.job.done, self.job.total or self.job.done)}
        if message:
            fields["message"] = message[:300]
        # Outside any transaction of the handler's: the admin sees it at once.
        BackgroundJob.objects.filter(pk=self.job.pk).update(**fields)


Handler = Callable[[BackgroundJob, Progress], Mapping[str, Any]]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def decorator(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return decorator


def handler_for(kind: str) -> Handler | None:
    """The handler of ``kind`` ("<app>.<name>"), importing ``<app>.background_jobs`` on first use: the worker
    loads only ``tasks`` modules, and backoffice imports no app by name."""
    if kind not in _HANDLERS:
        app_label = kind.split(".", 1)[0]
        with contextlib.suppress(ImportError):
            importlib.import_module(f"{app_label}.background_jobs")
    return _HANDLERS.get(kind)


def job_url(job: BackgroundJob) -> str:
    return reverse("admin:backoffice_backgroundjob_change", args=[job.pk])


@transaction.atomic
def background_start(*, kind: str, label: str, user: AbstractBaseUser, params: Mapping[str, Any]) -> BackgroundJob:
    """Record the job and queue it once the caller's transaction commits."""
    if handler_for(kind) is None:
        raise ValueError(f"no background handler for {kind!r}")
    job = BackgroundJob.objects.create(kind=kind, label=label[:300], requested_by=user, params=dict(params))
    audit_record(actor=Actor.staff(user), action="background_job.queued", target=job, metadata={"kind": kind})
    run_background_job.delay_on_commit(job.pk)
    return job


@shared_task(
    name="backoffice.run_background_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT_S,
    time_limit=TIME_LIMIT_S,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=RETRY_BACKOFF_S,
    retry_backoff_max=RETRY_BACKOFF_MAX_S,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def run_background_job(self: Any, job_id: int) -> str:
    """Run one background job (again, after a worker died: the handler skips what is done)."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.is_finished:
            return job.status  # a redelivered message for a job that ended
        job.status = BackgroundJobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.task_id = (self.request.id or "")[:64]
        job.save(update_fields=["status", "started_at", "attempts", "task_id"])
    run = handler_for(job.kind)
    try:
        if run is None:
            raise LookupError(f"no background handler for {job.kind!r}")
        result = dict(run(job, Progress(job)))
    except TRANSIENT_ERRORS:
        raise  # retried with backoff; the job stays "running" meanwhile
    except Exception as exc:
        logger.exception("background_job.failed id=%s kind=%s", job.pk, job.kind)
        _finish(job, BackgroundJobStatus.FAILED, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        return BackgroundJobStatus.FAILED
    _finish(job, BackgroundJobStatus.SUCCEEDED, result=result)
    return BackgroundJobStatus.SUCCEEDED


def _finish(job: BackgroundJob, status: str, *, result: Mapping[str, Any] | None = None, error: str = "") -> None:
    with transaction.atomic():
        locked = BackgroundJob.objects.select_for_update().get(pk=job.pk)
        locked.status = status
        locked.finished_at = timezone.now()
        locked.result = dict(result or {})
        locked.error = error
        if status == BackgroundJobStatus.SUCCEEDED and locked.total:
            locked.done = locked.total
        locked.save(update_fields=["status", "finished_at", "result", "error", "done"])
        audit_record(
            actor=Actor.system("background"),
            action="background_job.finished",
            target=locked,
            metadata={"kind": locked.kind, "status": status},
        )
        notify(
            recipients=[locked.requested_by],
            kind=NotificationKind.BACKGROUND_JOB,
            title=(_("Finished: %(label)s") if status == BackgroundJobStatus.SUCCEEDED else _("Failed: %(label)s"))
            % {"label": locked.label},
            url=job_url(locked),
            dedup_key=f"background:{locked.pk}",
        )
