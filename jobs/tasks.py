"""Celery entry points for the jobs domain: thin, idempotent, one service each."""

from __future__ import annotations

import logging

from celery import shared_task

from jobs import services

logger = logging.getLogger(__name__)


@shared_task(
    name="jobs.expire_postings", acks_late=True, reject_on_worker_lost=True, soft_time_limit=240, time_limit=300
)
def expire_postings(limit: int = 1000) -> int:
    """Expire published postings past their expiry time. Rerunning is harmless (each row is re-checked)."""
    expired = services.posting_expire_due(limit=limit)
    logger.info("jobs.expire_postings expired=%d", expired)
    return expired
