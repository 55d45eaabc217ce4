"""The outbox relay: publish committed ``OutboxEvent`` rows to the ``backoffice.events`` stream, in order.

One relay at a time (``streams.exclusive``: a PostgreSQL advisory lock, released by the server if the holder
dies), so there is one publisher and one order. Per batch: read unpublished rows in id order → XADD each
envelope as the single field ``event`` (one pipeline) → mark ``published_at`` and ``stream_id`` in bulk.
A crash between the XADD and the mark republishes those rows on the next run: a duplicate with the same
``event_id``, which consumers drop (EVENTS.md), never a loss.

Order. EVENTS.md promises commit order. Ids are taken at INSERT, not at COMMIT, so under concurrent writers a
lower id can commit after a higher one. We select rows by ``published_at IS NULL`` (no high-water mark), so a
late-committing lower id is never skipped: it is published later, which *is* its commit order. What id order
would add is a deterministic order between concurrent, unrelated transactions; causally related events are
in order either way (a transaction that saw another's change started after that one committed, so its row
has the higher id and the lower one was already visible). To publish in id order in the common case, rows
are only picked up once they are ``lag`` old (default 1 s, setting ``OUTBOX_RELAY_LAG_MS``): by then the
transactions that took the lower ids have almost always committed. A transaction that stays open longer than
the lag is still published, just after higher ids; rather than hold everything back behind an id gap (gaps
are also left by rolled-back transactions, forever), we accept that and document it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.utils import timezone

from backoffice.events import streams
from backoffice.models import OutboxEvent

logger = logging.getLogger(__name__)

LOCK_NAME = "outbox-relay"
EVENT_FIELD = "event"


def default_lag() -> dt.timedelta:
    return dt.timedelta(milliseconds=getattr(settings, "OUTBOX_RELAY_LAG_MS", 1000))


class OutboxRelay:
    def __init__(
        self,
        client: redis.Redis,
        *,
        stream: str | None = None,
        batch: int = 500,
        lag: dt.timedelta | None = None,
        lock_ttl_s: float = 120.0,
    ) -> None:
        self.client = client
        self.stream = stream or settings.OUTBOX_STREAM
        self.batch = max(1, batch)
        self.lag = default_lag() if lag is None else lag
        # Only used by the Redis/cache lock (not PostgreSQL's): drain() stops well before it runs out.
        self.lock_ttl_s = lock_ttl_s

    def run_once(self, *, max_batches: int | None = None, budget_s: float | None = None) -> int | None:
        """Publish everything due, under the relay lock. The number published, or None if another relay holds
        the lock (it is doing the work)."""
        budget = min(budget_s or self.lock_ttl_s / 2, self.lock_ttl_s / 2)
        with streams.exclusive(LOCK_NAME, ttl_s=self.lock_ttl_s, client=self.client) as acquired:
            if not acquired:
                logger.info("outbox.relay_busy: another relay holds the lock")
                return None
            return self._drain(max_batches=max_batches, budget_s=budget)

    def _drain(self, *, max_batches: int | None, budget_s: float) -> int:
        deadline = time.monotonic() + budget_s
        total = batches = 0
        while max_batches is None or batches < max_batches:
            published = self.publish_batch()
            total += published
            batches += 1
            if published < self.batch or time.monotonic() >= deadline:
                break
        return total

    def publish_batch(self) -> int:
        """One batch, in id order. Call it only under the relay lock (``run_once``)."""
        started = time.perf_counter()
        cutoff = timezone.now() - self.lag
        rows = list(OutboxEvent.objects.filter(published_at=None, created_at__lte=cutoff).order_by("id")[: self.batch])
        if not rows:
            return 0
        pipe = self.client.pipeline(transaction=False)
        for row in rows:
            pipe.xadd(self.stream, {EVENT_FIELD: json.dumps(row.envelope(), ensure_ascii=False)})
        stream_ids = pipe.execute()
        self._mark(rows, [streams.text(i) for i in stream_ids])
        logger.info(
            "outbox.published count=%d first_id=%d last_id=%d ms=%.1f",
            len(rows),
            rows[0].pk,
            rows[-1].pk,
            streams.monotonic_ms(started),
        )
        return len(rows)

    def _mark(self, rows: list[OutboxEvent], stream_ids: list[str]) -> None:
        now = timezone.now()
        for row, stream_id in zip(rows, stream_ids, strict=True):
            row.published_at = now
            row.stream_id = stream_id
        OutboxEvent.objects.bulk_update(rows, ["published_at", "stream_id"])


def run_forever(
    relay: OutboxRelay,
    *,
    stop: threading.Event,
    interval_s: float = 0.5,
    backoff: streams.Backoff | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> int:
    """The long-running relay (``manage.py relay_outbox``): drain, wait ``interval_s``, repeat until ``stop``.
    Infrastructure errors back off exponentially and retry; nothing is marked that was not published."""
    backoff = backoff or streams.Backoff()
    total = 0
    while not stop.is_set():
        try:
            published = relay.run_once() or 0
            backoff.reset()
        except streams.INFRA_ERRORS as exc:
            delay = backoff.next_delay()
            logger.warning("outbox.relay_error error=%s: %s retry_in=%.2fs", type(exc).__name__, exc, delay)
            if isinstance(exc, streams.DB_ERRORS):
                streams.close_db_connection()
            if on_error:
                on_error(exc)
            stop.wait(delay)
            continue
        total += published
        if published == 0:
            stop.wait(interval_s)
    return total
