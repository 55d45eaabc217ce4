"""Shared Redis Streams helpers for the event consumer, the outbox relay and their Celery tasks.

Kept free of business logic: a client factory with no hidden retries (the callers back off and know what to
redo), consumer-group creation, exponential backoff with jitter, the error classes that mean "infrastructure,
retry later" as opposed to "bad input", and a lock so that two runs of a periodic job never overlap.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Errors that say "a server is unreachable or went away", never "this input is bad": the current batch is
# rolled back / not acked and retried after a backoff. Anything else raised while applying events is treated
# as a problem with the input (see consumer.py).
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)
DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
INFRA_ERRORS: tuple[type[BaseException], ...] = REDIS_ERRORS + DB_ERRORS


def redis_client(url: str | None = None, *, block_ms: int = 0, decode_responses: bool = False) -> redis.Redis:
    """A client for the streams. ``block_ms`` is the longest BLOCK the caller uses: the socket timeout must
    outlast it, or every idle XREADGROUP would end in a TimeoutError.

    redis-py's own retries are switched off: a retried XREADGROUP whose first reply was lost delivers entries
    nobody processes (until XAUTOCLAIM), and a retried XADD duplicates silently. The callers retry instead,
    knowing what to redo."""
    url = url or settings.REDIS_URL
    if not url:
        raise RuntimeError("REDIS_URL is not set: the event streams need a Redis server")
    return redis.Redis.from_url(
        url,
        decode_responses=decode_responses,
        socket_timeout=block_ms / 1000 + 5,
        socket_connect_timeout=2,
        socket_keepalive=True,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 0),
    )


def ensure_group(client: redis.Redis, stream: str, group: str) -> bool:
    """Create the consumer group (and the stream) if missing, from the start of the stream. True if created."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" in str(exc):
            return False
        raise
    logger.info("events.group_created stream=%s group=%s", stream, group)
    return True


def text(value: Any) -> str:
    """A stream id / field value as text, whether the client decodes responses or not."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class Backoff:
    """Exponential backoff with jitter: 0.1 s, 0.2 s, 0.4 s … capped at ``cap`` (equal jitter: each wait is
    between half and all of the step, so many consumers coming back after an outage do not retry in step)."""

    def __init__(self, *, base: float = 0.1, cap: float = 5.0, rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        step = min(self.cap, self.base * (2**self.attempt))
        self.attempt += 1
        return step / 2 + self._rng.uniform(0, step / 2)

    def reset(self) -> None:
        self.attempt = 0


def close_db_connection() -> None:
    """Drop a database connection that failed: Django would otherwise keep using the broken one."""
    with contextlib.suppress(Exception):
        connection.close()


# --- a lock so that two runs of a periodic job never overlap -------------------------------------------------
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


def _advisory_key(name: str) -> int:
    # pg advisory locks take a signed 64-bit key; crc32 of the name is stable across processes and versions.
    return zlib.crc32(f"backoffice:{name}".encode())


@contextlib.contextmanager
def exclusive(name: str, *, ttl_s: float, client: redis.Redis | None = None) -> Iterator[bool]:
    """Yield True if this process holds the lock ``name``, False if another run holds it (then do nothing).

    - PostgreSQL: a session-level advisory lock on the current connection. The server releases it when the
      holder's connection dies (worker killed, network lost), so there is no TTL to guess.
    - Otherwise, with a Redis client: SET NX PX with a random token, released only by its owner (Lua).
    - Otherwise (the SQLite demo without Redis): the Django cache's ``add`` (atomic in every backend; the
      demo's local-memory cache is shared by the worker's threads, and SQLite serializes writers anyway).
    The TTL of the last two must outlast the run: callers bound their runs well below it.
    """
    if connection.vendor == "postgresql":
        key = _advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = bool(cursor.fetchone()[0])
        try:
            yield acquired
        finally:
            if acquired:
                # If the connection died meanwhile, the server has released the lock already.
                with contextlib.suppress(*DB_ERRORS), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return

    token = uuid.uuid4().hex
    lock_key = f"backoffice:lock:{name}"
    if client is not None:
        acquired = bool(client.set(lock_key, token, nx=True, px=int(ttl_s * 1000)))
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(*REDIS_ERRORS):
                    client.eval(_RELEASE_SCRIPT, 1, lock_key, token)
        return

    from django.core.cache import cache

    acquired = cache.add(lock_key, token, timeout=max(1, int(ttl_s)))
    try:
        yield acquired
    finally:
        if acquired and cache.get(lock_key) == token:
            cache.delete(lock_key)


def wait_or_stop(stop: threading.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if a stop was requested meanwhile."""
    return stop.wait(max(0.0, seconds))


def monotonic_ms(start: float, clock: Callable[[], float] = time.perf_counter) -> float:
    return (clock() - start) * 1000
