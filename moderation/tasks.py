"""Celery entry points for moderation: thin, idempotent, one service each."""

from __future__ import annotations

import logging

from celery import shared_task

from moderation import services

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
