"""Celery entry points for moderation: thin, idempotent, one service each."""

from __future__ import annotations

import logging

from celery import shared_task

from backoffice.events import streams
from moderation import screening, services

logger = logging.getLogger(__name__)


@shared_task(
    name="moderation.release_expired_claims",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
)
def release_expired_claims() -> int:
    """Free cases whose claim ran out, so they show as unclaimed in the queue. Safe to rerun."""
    released = services.claims_release_expired()
    logger.info("moderation.release_expired_claims released=%d", released)
    return released


SCREEN_PENDING_TIME_LIMIT = 300


@shared_task(
    name="moderation.screen_pending",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SCREEN_PENDING_TIME_LIMIT - 30,
    time_limit=SCREEN_PENDING_TIME_LIMIT,
)
def screen_pending() -> int:
    """Screen postings left pending without a case (e.g. a consumer died after commit, before screening)."""
    with streams.exclusive("screen-pending", ttl_s=SCREEN_PENDING_TIME_LIMIT * 2) as acquired:
        if not acquired:
            logger.info("moderation.screen_pending skipped: another run holds the lock")
            return 0
        screened = screening.screen_pending()
    logger.info("moderation.screen_pending screened=%d", screened)
    return screened
