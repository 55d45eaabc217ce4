"""Celery entry points for moderation: thin, idempotent, one service each.

Every task is a ``periodic_job`` (``backoffice.automation``): stable name, queue, time limits, retries for
transient errors only, a lock so two runs never overlap, one structured log line with the returned counts. The
schedule is in ``backoffice.schedule``.
"""

from __future__ import annotations

import logging
from typing import Any

from backoffice.automation import Queue, periodic_job
from moderation import digest, screening, wages
from moderation.actions import claims

logger = logging.getLogger(__name__)


@periodic_job("moderation.release_expired_claims", time_limit=60)
def release_expired_claims() -> dict[str, int]:
    """Free cases whose claim ran out, so they show as unclaimed in the queue. Safe to rerun."""
    return {"released": claims.claims_release_expired()}


@periodic_job("moderation.screen_pending", queue=Queue.SCREENING, time_limit=300)
def screen_pending() -> dict[str, int]:
    """Screen postings left pending without a case (e.g. a consumer died after commit, before screening)."""
    return {"screened": screening.screen_pending()}


@periodic_job("moderation.escalate_overdue_cases", time_limit=120)
def escalate_overdue_cases() -> dict[str, int]:
    """Escalate open cases past their SLA and notify the senior moderators (one batch per run; a larger
    backlog is taken over the next runs, a minute apart, so nobody gets a mail per case)."""
    escalated = claims.cases_escalate_overdue()
    return {"escalated": len(escalated)}


# Reads every live posting (100,000 take tens of seconds); generous, and the soft limit stops it between batches.
RECHECK_WAGES_TIME_LIMIT = 30 * 60


@periodic_job("moderation.recheck_wages", queue=Queue.SCREENING, time_limit=RECHECK_WAGES_TIME_LIMIT)
def recheck_wages(year: int | None = None) -> dict[str, int]:
    """Judge every live posting's wage again against the minimum-wage table (``moderation.wages``).

    Enqueued by ``on_minimum_wage_changed`` when a new year is added; also scheduled weekly as a safety net
    (a lost message, a corrected amount)."""
    return wages.postings_recheck_wages(year=year)


@periodic_job("moderation.send_daily_digest", time_limit=120)
def send_daily_digest() -> dict[str, int]:
    """E-mail the daily operations digest to the ops admins; a second run the same day sends nothing."""
    return digest.digest_send()


def on_minimum_wage_changed(sender: object, *, year: int, created: bool, **kwargs: Any) -> None:
    """Receiver of ``jobs.signals.minimum_wage_changed`` (connected in ``ModerationConfig.ready``).

    Only a new year triggers the re-check (a corrected amount is caught by the weekly run). The signal is sent
    after commit, so the task sees the new row; ``delay`` rather than ``delay_on_commit``."""
    if not created:
        return
    try:
        recheck_wages.delay(year=year)
    except Exception:  # the table row is committed: a broker outage must not fail the admin's save
        logger.exception("Could not enqueue the wage re-check for %s; the weekly run will do it", year)
