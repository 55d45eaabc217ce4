"""Celery entry points for the event pipeline: thin, idempotent, never two runs at once.

Each task takes a lock (``streams.exclusive``: a PostgreSQL advisory lock; on the SQLite demo the cache) and
returns at once when another run holds it. Production runs ``manage.py relay_outbox`` and ``consume_events``
continuously; the beat jobs are the safety net (and the whole mechanism on a single-box install).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from backoffice.events import streams
from backoffice.events.processor import expire_parked
from backoffice.events.relay import OutboxRelay

logger = logging.getLogger(__name__)

RELAY_TIME_LIMIT = 60
EXPIRE_TIME_LIMIT = 300


@shared_task(
    name="backoffice.relay_outbox",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RELAY_TIME_LIMIT - 10,
    time_limit=RELAY_TIME_LIMIT,
)
def relay_outbox(batch: int = 500) -> int:
    """Publish the due outbox rows to the stream. Returns how many (0 when another relay is running)."""
    if not settings.REDIS_URL:
        # The embedded demo has no stream to publish to: rows wait in the outbox (visible in the admin).
        logger.info("backoffice.relay_outbox skipped: REDIS_URL is not set")
        return 0
    client = streams.redis_client()
    try:
        # The lock TTL (Redis/cache lock only) outlasts the hard time limit; the drain stops at half of it.
        relay = OutboxRelay(client, batch=batch, lock_ttl_s=RELAY_TIME_LIMIT * 2)
        published = relay.run_once(budget_s=RELAY_TIME_LIMIT - 20)
    finally:
        client.close()
    if published is None:
        logger.info("backoffice.relay_outbox skipped: another relay is running")
        return 0
    logger.info("backoffice.relay_outbox published=%d", published)
    return published


@shared_task(
    name="backoffice.expire_parked_events",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=EXPIRE_TIME_LIMIT - 30,
    time_limit=EXPIRE_TIME_LIMIT,
)
def expire_parked_events() -> int:
    """Apply parked events whose entity arrived, dead-letter those that waited too long. Returns how many
    were dead-lettered (0 when another run holds the lock)."""
    with streams.exclusive("expire-parked", ttl_s=EXPIRE_TIME_LIMIT * 2) as acquired:
        if not acquired:
            logger.info("backoffice.expire_parked_events skipped: another run holds the lock")
            return 0
        expired = expire_parked()
    logger.info("backoffice.expire_parked_events expired=%d", expired)
    return expired
