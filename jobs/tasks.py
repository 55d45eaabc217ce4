"""Celery entry points for the jobs domain: thin, idempotent, one service each.

Every task is a ``periodic_job`` (``backoffice.automation``): stable name, maintenance queue, time limits,
retries for transient errors only, a lock against overlapping runs, and one structured log line with the counts
the service returns."""

from __future__ import annotations

from backoffice.automation import Queue, periodic_job
from jobs import automation
from jobs.actions.postings import postings_expire_due

EXPIRE_TIME_LIMIT = 300


@periodic_job("jobs.expire_postings", queue=Queue.MAINTENANCE, time_limit=EXPIRE_TIME_LIMIT)
def expire_postings(limit: int = 1000) -> dict[str, int]:
    """Expire published postings past their expiry time. Rerunning is harmless (each row is re-checked)."""
    return {"expired": postings_expire_due(limit=limit)}


# --- periodic housekeeping (jobs.automation): batches, re-checked rows, audited as system -------------------
# Time limits: each job commits batch by batch, so one stopped by its limit keeps its work and the next run
# continues; the limits only bound how long a worker of the maintenance queue is busy with one job.
REMIND_TIME_LIMIT = 600
CLOSE_TIME_LIMIT = 600
RETENTION_TIME_LIMIT = 1800


@periodic_job("jobs.remind_employers", queue=Queue.MAINTENANCE, time_limit=REMIND_TIME_LIMIT)
def remind_employers() -> dict[str, int]:
    """Tell the marketplace (outbox ``employer.reminder``) which employers leave applications unanswered."""
    return automation.remind_employers()


@periodic_job("jobs.close_unanswered_postings", queue=Queue.MAINTENANCE, time_limit=CLOSE_TIME_LIMIT)
def close_unanswered_postings() -> dict[str, int]:
    """Close postings whose applicants have heard nothing for 14 days (``no_response``)."""
    return automation.close_unanswered_postings()


@periodic_job("jobs.anonymise_inactive_seekers", queue=Queue.MAINTENANCE, time_limit=RETENTION_TIME_LIMIT)
def anonymise_inactive_seekers() -> dict[str, int]:
    """Retention: anonymise seekers inactive for ``RETENTION_SEEKER_DAYS``."""
    return automation.anonymise_inactive_seekers()
