"""The Redis Streams transport: a consumer in the ``backoffice`` group of ``marketplace.events``.

One loop, one batch at a time:

1. At start and after any error, re-read this consumer's *own* pending entries first (XREADGROUP from id 0):
   entries it read but did not ack (a restart under the same name resumes them). Otherwise sweep: XAUTOCLAIM
   entries another consumer left pending longer than ``claim_idle_ms`` (it crashed or hangs).
2. Read: XREADGROUP ``>`` with COUNT/BLOCK.
3. Apply the batch with ``process_batch`` in one transaction, together with the dead letters of entries that
   are not events at all (no ``event`` field). The apps' batch hooks wrap the transaction (moderation screens
   the batch's postings in one pass after the commit).
4. Only after the commit: XADD the rejected entries to the dead-letter stream and XACK every entry of the batch
   (applied, duplicate, parked and rejected alike: rejected ones are stored as dead letters), in one MULTI/EXEC.
5. Housekeeping: retry parked events once more after the commit, and every ``expire_interval_s`` retry all
   parked events whose entity arrived and dead-letter those that waited too long (``expire_parked``).

A crash anywhere before 4 leaves the entries pending; they are redelivered (own re-read or another consumer's
XAUTOCLAIM) and the inbox turns the redelivery into duplicates; a redelivered entry already dead-lettered is
not dead-lettered twice. Input never stops the loop: an entry that makes the processor raise something other
than an infrastructure error is isolated by bisecting the batch and dead-lettered on its own. Infrastructure
errors (database or Redis away, deadlocks) are logged, the broken database connection is closed, and the loop
backs off exponentially (with jitter, capped at 5 s) and tries again: nothing is acked before its batch has
committed. A stop request (SIGTERM/SIGINT in the command) lets the batch in hand commit and ack, then returns.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from backoffice.events import streams
from backoffice.events.processor import (
    APPLIED,
    DUPLICATE,
    PARKED,
    REJECTED,
    Outcome,
    RawItem,
    expire_parked,
    process_batch,
    retry_parked,
)
from backoffice.models import DeadLetter, InboxEvent, ParkedEvent, Transport

logger = logging.getLogger(__name__)

EVENT_FIELD = "event"
MISSING_FIELD_REASON = f"stream entry has no '{EVENT_FIELD}' field"

# Test-only hooks (tests/integration/test_faults.py): hold the consumer at a chosen point so a test can kill
# it, or its database / Redis, exactly there. Unset in production.
PAUSE_AFTER_READ_ENV = "BACKOFFICE_CONSUMER_PAUSE_AFTER_READ_MS"
PAUSE_BEFORE_COMMIT_ENV = "BACKOFFICE_CONSUMER_PAUSE_BEFORE_COMMIT_MS"
PAUSE_BEFORE_ACK_ENV = "BACKOFFICE_CONSUMER_PAUSE_BEFORE_ACK_MS"


# Context managers wrapped around each batch's transaction, by dotted path; backoffice imports no app, so the
# apps' batch hooks are named here. moderation's collects the postings a batch creates or updates (announced
# after commit) and screens them in one pass when the block ends, instead of one by one. Setting:
# EVENTS_BATCH_CONTEXTS.
DEFAULT_BATCH_CONTEXTS = ("moderation.screening.screening_deferred",)


def batch_contexts() -> list[Callable[[], contextlib.AbstractContextManager[Any]]]:
    contexts = []
    for path in getattr(settings, "EVENTS_BATCH_CONTEXTS", DEFAULT_BATCH_CONTEXTS):
        try:
            contexts.append(import_string(path))
        except ImportError:
            logger.warning("events.batch_context_missing path=%s", path)
    return contexts


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class Entry:
    """One stream entry: its id and its fields (None when the entry was deleted from the stream)."""

    id: str
    fields: dict[str, Any] | None
    redelivered: bool = False

    def event_value(self) -> bytes | str | None:
        if not self.fields:
            return None
        return self.fields.get(EVENT_FIELD, self.fields.get(EVENT_FIELD.encode()))

    def fields_json(self) -> str:
        return json.dumps(
            {streams.text(k): streams.text(v) for k, v in (self.fields or {}).items()}, ensure_ascii=False
        )


@dataclass
class BatchResult:
    source: str
    count: int = 0
    applied: int = 0
    duplicates: int = 0
    parked: int = 0
    rejected: int = 0
    ms: float = 0.0
    dead: list[tuple[Entry, str]] = field(default_factory=list)

    def count_outcome(self, status: str) -> None:
        if status == APPLIED:
            self.applied += 1
        elif status == DUPLICATE:
            self.duplicates += 1
        elif status == PARKED:
            self.parked += 1
        elif status == REJECTED:
            self.rejected += 1


@dataclass
class ConsumerStats:
    batches: int = 0
    entries: int = 0
    applied: int = 0
    duplicates: int = 0
    parked: int = 0
    rejected: int = 0
    claimed: int = 0
    errors: int = 0

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.entries += result.count
        self.applied += result.applied
        self.duplicates += result.duplicates
        self.parked += result.parked
        self.rejected += result.rejected
        if result.source == "claim":
            self.claimed += result.count


def _env_ms(name: str) -> float:
    try:
        return max(0.0, float(os.environ.get(name, "0") or 0)) / 1000
    except ValueError:
        return 0.0


class StreamConsumer:
    """A consumer of one stream in one group. ``run()`` loops until ``stop`` is set (or after ``max_batches``
    batches: non-empty batches and empty reads count, empty sweeps do not); ``step()`` does one sweep/read and is
    what tests drive directly."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        stream: str | None = None,
        group: str | None = None,
        consumer: str | None = None,
        dead_stream: str | None = None,
        batch: int = 500,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        expire_interval_s: float = 30.0,
        max_batches: int | None = None,
        stop: threading.Event | None = None,
        backoff: streams.Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.stream = stream or settings.EVENTS_STREAM
        self.group = group or settings.EVENTS_GROUP
        self.consumer = consumer or default_consumer_name()
        self.dead_stream = dead_stream or settings.EVENTS_DEAD_STREAM
        self.batch = max(1, batch)
        self.block_ms = max(0, block_ms)
        self.claim_idle_ms = max(0, claim_idle_ms)
        self.expire_interval_s = expire_interval_s
        self.max_batches = max_batches
        self.stop = stop or threading.Event()
        self.backoff = backoff or streams.Backoff()
        self.clock = clock
        self.stats = ConsumerStats()
        self.batches = 0
        # Start by re-reading our own pending entries: a restart under the same name picks up where it died.
        self._recover_own = True
        self._group_ready = False
        self._claim_cursor = "0-0"
        # An empty sweep is not repeated at once: XAUTOCLAIM scans the pending list.
        self._next_sweep = 0.0
        self._sweep_interval = max(0.2, min(self.claim_idle_ms / 2000, 10.0))
        self._next_expire = clock() + expire_interval_s
        self._pause_after_read = _env_ms(PAUSE_AFTER_READ_ENV)
        self._pause_before_commit = _env_ms(PAUSE_BEFORE_COMMIT_ENV)
        self._pause_before_ack = _env_ms(PAUSE_BEFORE_ACK_ENV)
        self._batch_contexts = batch_contexts()

    # --- the loop -------------------------------------------------------------------------------------
    def run(self) -> ConsumerStats:
        logger.info(
            "events.consumer_start stream=%s group=%s consumer=%s batch=%d block_ms=%d claim_idle_ms=%d",
            self.stream,
            self.group,
            self.consumer,
            self.batch,
            self.block_ms,
            self.claim_idle_ms,
        )
        while not self.stop.is_set() and not self._done():
            try:
                self.step()
                self.backoff.reset()
            except streams.INFRA_ERRORS as exc:
                self._on_infra_error(exc)
            except Exception as exc:
                # A bug, not input (input is isolated in _apply_isolating) and not infrastructure: log it and
                # carry on like after an outage; unacked entries are re-read, the inbox dedups them.
                logger.exception("events.consumer_bug consumer=%s", self.consumer)
                self._on_infra_error(exc)
        logger.info(
            "events.consumer_stop consumer=%s batches=%d entries=%d applied=%d duplicates=%d parked=%d rejected=%d "
            "claimed=%d errors=%d",
            self.consumer,
            self.stats.batches,
            self.stats.entries,
            self.stats.applied,
            self.stats.duplicates,
            self.stats.parked,
            self.stats.rejected,
            self.stats.claimed,
            self.stats.errors,
        )
        return self.stats

    def _done(self) -> bool:
        return self.max_batches is not None and self.batches >= self.max_batches

    def _on_infra_error(self, exc: BaseException) -> None:
        self.stats.errors += 1
        if isinstance(exc, streams.REDIS_ERRORS):
            kind = "redis"
        elif isinstance(exc, streams.DB_ERRORS):
            kind = "database"
        else:
            kind = "unexpected"
        delay = self.backoff.next_delay()
        logger.warning(
            "events.consumer_error consumer=%s kind=%s error=%s: %s retry_in=%.2fs",
            self.consumer,
            kind,
            type(exc).__name__,
            str(exc).strip().replace("\n", " ")[:300],
            delay,
        )
        logger.debug("events.consumer_error_traceback consumer=%s", self.consumer, exc_info=exc)
        if kind != "redis":
            streams.close_db_connection()
        if kind != "database":
            self._group_ready = False  # the server may have restarted without its data
        # Whatever was read and not acked is in our pending list: read it again before anything new.
        self._recover_own = True
        streams.wait_or_stop(self.stop, delay)

    def step(self) -> list[BatchResult]:
        """One iteration: own pending (after a restart/error) or a sweep of idle pending entries, then a read.
        Returns the batches processed (possibly none)."""
        if not self._group_ready:
            streams.ensure_group(self.client, self.stream, self.group)
            self._group_ready = True
        results = []
        if self._recover_own:
            entries = self._read("0")
            if entries:
                results.append(self._handle(entries, "own_pending"))
                return results
            self._recover_own = False
        now = self.clock()
        if self.claim_idle_ms and now >= self._next_sweep and not self._done():
            entries = self._claim()
            if entries:
                results.append(self._handle(entries, "claim"))
            if self._claim_cursor == "0-0" and not entries:
                self._next_sweep = now + self._sweep_interval
        if not self.stop.is_set() and not self._done():
            entries = self._read(">")
            if entries:
                results.append(self._handle(entries, "read"))
        self._maybe_expire()
        return results

    # --- fetching ---------------------------------------------------------------------------------------
    def _read(self, start: str) -> list[Entry]:
        try:
            response = self.client.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: start},
                count=self.batch,
                block=self.block_ms if start == ">" else None,
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # The stream or group vanished (Redis restarted without persistence, or someone deleted it).
            logger.warning("events.group_missing stream=%s group=%s: recreating", self.stream, self.group)
            self._group_ready = False
            return []
        if not response:
            if start == ">":
                self.batches += 1  # an empty read counts towards max_batches (tests stop on an idle stream)
            return []
        # RESP2 gives [[stream, entries]], RESP3 {stream: [entries]}.
        pairs = response.items() if isinstance(response, dict) else response
        entries: list[Entry] = []
        for _stream, messages in pairs:
            for message in messages:
                entry_id, fields = message[0], message[1]
                entries.append(Entry(streams.text(entry_id), dict(fields) if fields else None, start != ">"))
        return entries

    def _claim(self) -> list[Entry]:
        try:
            response = self.client.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=self.claim_idle_ms,
                start_id=self._claim_cursor,
                count=self.batch,
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False
            return []
        self._claim_cursor = streams.text(response[0])
        entries = [
            Entry(streams.text(message[0]), dict(message[1]) if message[1] else None, True)
            for message in response[1]
            if message
        ]
        deleted = response[2] if len(response) > 2 else []
        if deleted:
            # Trimmed from the stream while pending: there is nothing left to apply (XAUTOCLAIM has already
            # removed them from the pending list). Said loudly, as an operator trimmed unconsumed events.
            logger.error(
                "events.pending_entries_deleted stream=%s count=%d ids=%s",
                self.stream,
                len(deleted),
                ",".join(streams.text(d) for d in deleted[:20]),
            )
        if entries:
            logger.info("events.claimed consumer=%s count=%d", self.consumer, len(entries))
        return entries

    # --- one batch ----------------------------------------------------------------------------------------
    def _handle(self, entries: list[Entry], source: str) -> BatchResult:
        started = time.perf_counter()
        self.batches += 1
        if self._pause_after_read:
            self._test_pause("after_read", self._pause_after_read)
        result = BatchResult(source=source, count=len(entries))
        outcomes = self._apply(entries)
        for entry in entries:
            outcome = outcomes.get(entry.id)
            if outcome is None:  # deleted entry: nothing to apply
                continue
            result.count_outcome(outcome.status)
            if outcome.status == REJECTED:
                result.dead.append((entry, outcome.error))
        if self._pause_before_ack:
            self._test_pause("before_ack", self._pause_before_ack)
        self._ack(entries, result.dead)
        result.ms = streams.monotonic_ms(started)
        self.stats.add(result)
        logger.info(
            "events.batch consumer=%s source=%s count=%d applied=%d duplicates=%d parked=%d rejected=%d ms=%.1f",
            self.consumer,
            source,
            result.count,
            result.applied,
            result.duplicates,
            result.parked,
            result.rejected,
            result.ms,
        )
        parked_keys = {o.error for o in outcomes.values() if o.status == PARKED and o.error}
        if parked_keys:
            # A concurrent consumer may have committed the entity these wait for just before our parked rows
            # became visible to it; look once more now that they are committed. (The periodic housekeeping
            # catches what is still left.)
            self._retry_parked(parked_keys)
        return result

    def _apply(self, entries: Sequence[Entry]) -> dict[str, Outcome]:
        """Outcome per entry id, committed. Raises only infrastructure errors."""
        live = [e for e in entries if e.fields is not None]
        for entry in entries:
            if entry.fields is None:
                logger.error("events.entry_deleted stream=%s id=%s: nothing to apply", self.stream, entry.id)
        outcomes: dict[str, Outcome] = {}
        # A redelivered entry that was dead-lettered by a batch that committed (and then was not acked) must
        # not become a second dead letter: the inbox dedups applied events, this dedups rejected ones.
        redelivered = [e.id for e in live if e.redelivered]
        if redelivered:
            stored = DeadLetter.objects.filter(transport=Transport.REDIS, source_ref__in=redelivered).values_list(
                "source_ref", "reason"
            )
            for ref, reason in stored:
                outcomes[ref] = Outcome(ref, REJECTED, "", reason)
        todo = [e for e in live if e.id not in outcomes]
        if todo:
            outcomes.update(self._apply_isolating(todo))
        return outcomes

    def _apply_isolating(self, entries: Sequence[Entry]) -> dict[str, Outcome]:
        try:
            return self._commit(entries)
        except streams.INFRA_ERRORS:
            raise
        except Exception as exc:  # input must never stop the consumer (module doc)
            if len(entries) > 1:
                # Usually a concurrent consumer committed the same event first (inbox key conflict): the
                # halves see it as a duplicate. Otherwise the halves isolate the entry that breaks.
                logger.warning(
                    "events.batch_failed consumer=%s count=%d error=%r: splitting", self.consumer, len(entries), exc
                )
                mid = len(entries) // 2
                return {**self._apply_isolating(entries[:mid]), **self._apply_isolating(entries[mid:])}
            (entry,) = entries
            try:
                # Once more on its own: a conflict with a concurrent consumer is gone now that it committed.
                return self._commit(entries)
            except streams.INFRA_ERRORS:
                raise
            except Exception as again:  # noqa: BLE001
                exc = again
            reason = f"could not be applied: {type(exc).__name__}: {exc}"[:2000]
            logger.error("events.entry_failed consumer=%s id=%s", self.consumer, entry.id, exc_info=exc)
            value = entry.event_value()
            DeadLetter.objects.create(
                reason=reason,
                raw=streams.text(value) if value is not None else entry.fields_json(),
                transport=Transport.REDIS,
                source_ref=entry.id[:64],
            )
            return {entry.id: Outcome(entry.id, REJECTED, "", reason)}

    def _commit(self, entries: Sequence[Entry]) -> dict[str, Outcome]:
        items: list[RawItem] = []
        not_events: list[Entry] = []
        for entry in entries:
            value = entry.event_value()
            if value is None:
                not_events.append(entry)
            else:
                items.append(RawItem(raw=value, ref=entry.id))
        with contextlib.ExitStack() as hooks:
            for context in self._batch_contexts:
                hooks.enter_context(context())
            return self._commit_in_transaction(items, not_events)

    def _commit_in_transaction(self, items: list[RawItem], not_events: list[Entry]) -> dict[str, Outcome]:
        with transaction.atomic():
            outcomes = {o.ref: o for o in process_batch(items, transport=Transport.REDIS)} if items else {}
            if not_events:
                DeadLetter.objects.bulk_create(
                    DeadLetter(
                        reason=MISSING_FIELD_REASON,
                        raw=entry.fields_json(),
                        transport=Transport.REDIS,
                        source_ref=entry.id[:64],
                    )
                    for entry in not_events
                )
                for entry in not_events:
                    outcomes[entry.id] = Outcome(entry.id, REJECTED, "", MISSING_FIELD_REASON)
            if self._pause_before_commit:
                self._test_pause("before_commit", self._pause_before_commit)
        return outcomes

    def _ack(self, entries: Sequence[Entry], dead: Sequence[tuple[Entry, str]]) -> None:
        """After the commit: dead-letter stream entries and the XACK, atomically (MULTI/EXEC)."""
        pipe = self.client.pipeline(transaction=True)
        for entry, reason in dead:
            value = entry.event_value()
            pipe.xadd(
                self.dead_stream,
                {
                    EVENT_FIELD: value if value is not None else entry.fields_json(),
                    "reason": reason,
                    "source_id": entry.id,
                },
            )
        pipe.xack(self.stream, self.group, *[entry.id for entry in entries])
        pipe.execute()

    def _test_pause(self, point: str, seconds: float) -> None:
        logger.warning("events.test_pause consumer=%s point=%s seconds=%.1f", self.consumer, point, seconds)
        time.sleep(seconds)

    # --- housekeeping -------------------------------------------------------------------------------------
    def _retry_parked(self, keys: Iterable[str]) -> int:
        """Retry parked events waiting for ``keys`` (as batches, chains included: see ``retry_parked``)."""
        keys = sorted(keys)
        self._drop_parked_already_applied(ParkedEvent.objects.filter(waiting_for__in=keys))
        try:
            return retry_parked(keys=keys)
        except streams.INFRA_ERRORS:
            raise
        except Exception:
            logger.exception("events.retry_parked_failed consumer=%s keys=%d", self.consumer, len(keys))
            return 0

    def _drop_parked_already_applied(self, parked: Any) -> None:
        """Two consumers handed the same event at once (a redelivery racing the original) can leave it both
        applied (inbox) and parked: the one that parked did not see the other's uncommitted apply. Such a row
        is a stale duplicate; retrying it would insert its inbox row twice and fail the whole retry."""
        stale = parked.filter(event_id__in=InboxEvent.objects.values("event_id")).delete()[0]
        if stale:
            logger.warning("events.parked_already_applied consumer=%s count=%d", self.consumer, stale)

    def _maybe_expire(self) -> None:
        now = self.clock()
        if self.expire_interval_s <= 0 or now < self._next_expire:
            return
        self._next_expire = now + self.expire_interval_s
        self.housekeeping()

    def housekeeping(self) -> None:
        """Retry parked events whose entity has arrived, dead-letter those that waited too long."""
        self._drop_parked_already_applied(ParkedEvent.objects.all())
        keys = list(ParkedEvent.objects.values_list("waiting_for", flat=True).distinct()[:1000])
        applied = self._retry_parked(keys) if keys else 0
        try:
            expired = expire_parked()
        except streams.INFRA_ERRORS:
            raise
        except Exception:
            logger.exception("events.expire_parked_failed consumer=%s", self.consumer)
            return
        if applied or expired:
            logger.warning(
                "events.parked_housekeeping consumer=%s applied=%d expired=%d", self.consumer, applied, expired
            )
