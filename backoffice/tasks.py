"""Celery entry points for the event pipeline and the background jobs: thin, idempotent.

Production runs ``manage.py relay_outbox`` and ``consume_events`` continuously; these beat jobs are the safety
net (and the whole mechanism on a single-box install). ``periodic_job`` gives each its lock, retries for
transient errors and a structured log line.
"""

from __future__ import annotations

import logging

from django.conf import settings

from backoffice.automation import Queue, periodic_job
from backoffice.background import run_background_job  # noqa: F401  (registers the task with the worker)
from backoffice.events import streams
from backoffice.events.processor import expire_parked
from backoffice.events.relay import OutboxRelay

logger = logging.getLogger(__name__)

RELAY_TIME_LIMIT = 60
EXPIRE_TIME_LIMIT = 300


# The relay takes its own lock (OutboxRelay: publishing must be exclusive even for the long-running command).
@periodic_job("backoffice.relay_outbox", queue=Queue.MAINTENANCE, time_limit=RELAY_TIME_LIMIT, lock=False)
def relay_outbox(batch: int = 500) -> dict[str, int | str]:
    """Publish the due outbox rows to the stream."""
    if not settings.REDIS_URL:
        # The embedded demo has no stream to publish to: rows wait in the outbox (visible in the admin).
        return {"skipped": "REDIS_URL is not set"}
    client = streams.redis_client()
    try:
        # The lock TTL (Redis/cache lock only) outlasts the hard time limit; the drain stops at half of it.
        relay = OutboxRelay(client, batch=batch, lock_ttl_s=RELAY_TIME_LIMIT * 2)
        published = relay.run_once(budget_s=RELAY_TIME_LIMIT - 20)
    finally:
        client.close()
    if published is None:
        return {"skipped": "another relay is running"}
    return {"published": published}


@periodic_job("backoffice.expire_parked_events", queue=Queue.MAINTENANCE, time_limit=EXPIRE_TIME_LIMIT)
def expire_parked_events() -> dict[str, int]:
    """Apply parked events whose entity arrived, dead-letter those that waited too long."""
    return {"dead_lettered": expire_parked()}
