"""The Redis Streams transport and the outbox relay on real Redis and PostgreSQL.

Consumer: a realistic mix (duplicates, out-of-order pairs, entries that are not events) is applied once,
every entry is acked, bad input lands in the dead-letter stream and table with its reason, and two consumers
on one group split the work. Relay: publishes in id order, marks rows, and a crash between XADD and the mark
republishes (a duplicate with the same event_id), never loses.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import Sum

from backoffice.events import streams
from backoffice.events.consumer import MISSING_FIELD_REASON, StreamConsumer
from backoffice.events.outbox import outbox_emit
from backoffice.events.relay import LOCK_NAME, OutboxRelay
from backoffice.models import DeadLetter, InboxEvent, OutboxEvent, ParkedEvent
from backoffice.tasks import relay_outbox
from jobs.models import Application, Employer, JobPosting, Seeker
from moderation.models import Report
from tests import events_factory as ev

pytestmark = [pytest.mark.needs_redis, pytest.mark.django_db(transaction=True)]

STREAM = settings.EVENTS_STREAM
GROUP = settings.EVENTS_GROUP
DEAD = settings.EVENTS_DEAD_STREAM


# --- a marketplace in miniature ------------------------------------------------------------------------------
@dataclass
class World:
    """Stream entries in delivery order, and what applying them once must produce."""

    entries: list[dict[str, str]]
    distinct_events: int
    employers: int
    seekers: int
    postings: int
    applications: int
    reports: int
    bad: int = 0

    @property
    def valid(self) -> int:
        return self.distinct_events


def event_entry(envelope: dict[str, Any]) -> dict[str, str]:
    return {"event": json.dumps(envelope, ensure_ascii=False)}


def status_changed(application_id: str, status: str, **kw: Any) -> dict[str, Any]:
    return ev.envelope("application.status_changed", {"application_id": application_id, "status": status}, **kw)


def posting_closed(posting_id: str, **kw: Any) -> dict[str, Any]:
    return ev.envelope("posting.closed", {"posting_id": posting_id, "reason": "filled"}, **kw)


def make_world(
    prefix: str = "w",
    *,
    employers: int = 3,
    seekers: int = 4,
    postings: int = 4,
    applications: int = 6,
    reports: int = 2,
    duplicates: int = 3,
    bad: bool = True,
) -> World:
    """Registrations, postings, applications, status changes, a closure and reports, with the disorder of a
    real feed: an update before its create, an application and a status change before what they refer to,
    redelivered events, and (``bad``) three entries that are not valid events."""
    assert applications <= postings * seekers
    emp = [f"{prefix}-e{i}" for i in range(employers)]
    seek = [f"{prefix}-s{i}" for i in range(seekers)]
    post = [f"{prefix}-p{i}" for i in range(postings)]
    minute = 0.0

    def at() -> float:
        nonlocal minute
        minute += 1
        return minute

    events: list[dict[str, Any]] = []
    events += [ev.employer(e, minutes=at()) for e in emp]
    events += [ev.seeker(s, minutes=at()) for s in seek]
    created = [ev.posting(p, emp[i % employers], minutes=at()) for i, p in enumerate(post)]
    # The first posting's update overtakes its create (newer occurred_at, delivered first).
    update = ev.posting(post[0], emp[0], event_type="posting.updated", title="주말 홀서빙 (시급 인상)", minutes=at())
    events += [update, *created]
    apps = []
    for i in range(applications):
        application_id = f"{prefix}-a{i}"
        apps.append(ev.application(application_id, post[i % postings], seek[(i // postings) % seekers], minutes=at()))
    statuses = [status_changed(f"{prefix}-a{i}", "viewed", minutes=at()) for i in range(min(3, applications))]
    # An application and its status change delivered before the application's posting is even known.
    late_posting = ev.posting(f"{prefix}-p-late", emp[0], minutes=at())
    early_app = ev.application(f"{prefix}-a-early", f"{prefix}-p-late", seek[0], minutes=at())
    early_status = status_changed(f"{prefix}-a-early", "shortlisted", minutes=at())
    events += [early_status, early_app, *apps, *statuses, late_posting]
    events.append(posting_closed(post[-1], minutes=at()))
    events += [ev.report(f"{prefix}-r{i}", post[i % postings], minutes=at()) for i in range(reports)]
    distinct = len(events)
    # Redelivery: the same envelopes again (same event_id), some in the middle, some at the end.
    events[len(events) // 2 : len(events) // 2] = events[:duplicates]
    entries = [event_entry(e) for e in events]
    bad_count = 0
    if bad:
        wrong_type = ev.posting(f"{prefix}-p-bad", emp[0])
        wrong_type["payload"]["wage"]["amount"] = "11000원"
        entries[3:3] = [{"foo": "bar"}]
        entries[7:7] = [{"event": "{not json"}]
        entries.append(event_entry(wrong_type))
        bad_count = 3
    return World(
        entries=entries,
        distinct_events=distinct,
        employers=employers,
        seekers=seekers,
        postings=postings + 1,
        applications=applications + 1,
        reports=reports,
        bad=bad_count,
    )


def xadd_all(client: Any, entries: list[dict[str, str]], stream: str = STREAM) -> list[str]:
    pipe = client.pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(stream, fields)
    return [streams.text(i) for i in pipe.execute()]


def pending_count(client: Any, stream: str = STREAM, group: str = GROUP) -> int:
    return int(client.xpending(stream, group)["pending"])


def group_lag(client: Any, stream: str = STREAM, group: str = GROUP) -> int:
    (info,) = [g for g in client.xinfo_groups(stream) if streams.text(g["name"]) == group]
    return int(info["lag"] or 0)


def assert_world_applied(world: World) -> None:
    assert InboxEvent.objects.count() == world.distinct_events, list(
        DeadLetter.objects.values_list("reason", flat=True)
    )
    assert ParkedEvent.objects.count() == 0
    assert Employer.objects.count() == world.employers
    assert Seeker.objects.count() == world.seekers
    assert JobPosting.objects.count() == world.postings
    assert Application.objects.count() == world.applications
    # Counted once per application: an event applied twice would count twice.
    assert JobPosting.objects.aggregate(n=Sum("application_count"))["n"] == world.applications
    assert Report.objects.count() == world.reports


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def stream_client(redis_url: str, redis_client: Any) -> Iterator[Any]:
    """A bytes client like the consumer's own (the redis_client fixture flushes the database around the test)."""
    client = streams.redis_client(redis_url, block_ms=1000)
    yield client
    client.close()


def make_consumer(client: Any, **kw: Any) -> StreamConsumer:
    kw.setdefault("block_ms", 50)
    kw.setdefault("claim_idle_ms", 60_000)
    kw.setdefault("expire_interval_s", 0)
    return StreamConsumer(client, **kw)


# --- the consumer ---------------------------------------------------------------------------------------------
def test_mixed_feed_is_applied_once_acked_and_bad_entries_dead_lettered(stream_client: Any, redis_client: Any) -> None:
    world = make_world()
    ids = xadd_all(redis_client, world.entries)
    consumer = make_consumer(stream_client, consumer="c-1", batch=7, max_batches=len(ids) // 7 + 6)
    stats = consumer.run()

    assert stats.entries == len(ids) and stats.errors == 0
    assert stats.rejected == world.bad
    assert stats.duplicates == 3
    assert_world_applied(world)
    posting = JobPosting.objects.get(external_id="w-p0")
    assert posting.title == "주말 홀서빙 (시급 인상)"  # the newer update won over the late create
    early = Application.objects.get(external_id="w-a-early")
    assert early.status == "shortlisted"  # parked twice over, applied when its posting arrived
    # Everything acked, nothing left to read.
    assert pending_count(redis_client) == 0 and group_lag(redis_client) == 0

    # Bad input: a dead letter (table and stream) each, with the reason and the raw entry.
    bad_ids = {ids[3], ids[7], ids[-1]}
    letters = {letter.source_ref: letter for letter in DeadLetter.objects.all()}
    assert set(letters) == bad_ids
    assert letters[ids[3]].reason == MISSING_FIELD_REASON and json.loads(letters[ids[3]].raw) == {"foo": "bar"}
    assert letters[ids[7]].reason.startswith("not valid JSON") and letters[ids[7]].raw == "{not json"
    assert "payload.wage.amount: expected an integer" in letters[ids[-1]].reason
    dead = redis_client.xrange(DEAD)
    assert {fields["source_id"] for _id, fields in dead} == bad_ids
    by_source = {fields["source_id"]: fields for _id, fields in dead}
    assert by_source[ids[3]]["reason"] == MISSING_FIELD_REASON and json.loads(by_source[ids[3]]["event"]) == {
        "foo": "bar"
    }
    assert by_source[ids[7]]["event"] == "{not json" and "not valid JSON" in by_source[ids[7]]["reason"]

    # A replay of the whole valid feed changes nothing.
    valid = [e for e in world.entries if "event" in e and e["event"] != "{not json"][:-1]
    xadd_all(redis_client, valid)
    make_consumer(stream_client, consumer="c-1", batch=50, max_batches=3).run()
    assert_world_applied(world)
    assert pending_count(redis_client) == 0 and DeadLetter.objects.count() == 3


def test_two_consumers_in_parallel_split_the_work_and_apply_each_event_once(redis_url: str, redis_client: Any) -> None:
    world = make_world("par", employers=10, seekers=20, postings=40, applications=200, reports=20, bad=False)
    xadd_all(redis_client, world.entries)
    stop = threading.Event()
    consumers: list[StreamConsumer] = []
    failures: list[BaseException] = []

    def work(name: str) -> None:
        client = streams.redis_client(redis_url, block_ms=50)
        # Events about one posting land on both consumers: one may park what the other's uncommitted batch
        # provides. The consumer's periodic retry (here every 0.5 s) applies those.
        consumer = make_consumer(client, consumer=name, batch=20, stop=stop, expire_interval_s=0.5)
        consumers.append(consumer)
        try:
            consumer.run()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            raise
        finally:
            client.close()
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"par-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_for(
            lambda: InboxEvent.objects.count() == world.distinct_events and pending_count(redis_client) == 0,
            timeout=60,
            what="both consumers to apply every event",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures
    assert all(not thread.is_alive() for thread in threads)
    assert_world_applied(world)
    assert group_lag(redis_client) == 0
    # The group split the entries: each was delivered to exactly one of the two.
    assert all(c.stats.entries > 0 for c in consumers), [c.stats for c in consumers]
    assert sum(c.stats.entries for c in consumers) == len(world.entries)


def test_consumer_resumes_its_own_unacked_entries_after_a_restart(stream_client: Any, redis_client: Any) -> None:
    world = make_world("own", bad=False)
    xadd_all(redis_client, world.entries)
    streams.ensure_group(redis_client, STREAM, GROUP)
    # A previous run of this consumer read everything and died before applying it.
    redis_client.xreadgroup(GROUP, "same-name", {STREAM: ">"}, count=1000)
    assert pending_count(redis_client) == len(world.entries)
    stats = make_consumer(stream_client, consumer="same-name", batch=500, max_batches=2).run()
    assert stats.entries == len(world.entries)
    assert_world_applied(world)
    assert pending_count(redis_client) == 0


def test_entries_left_by_a_dead_consumer_are_claimed(stream_client: Any, redis_client: Any) -> None:
    world = make_world("claim")
    ids = xadd_all(redis_client, world.entries)
    streams.ensure_group(redis_client, STREAM, GROUP)
    redis_client.xreadgroup(GROUP, "dead-one", {STREAM: ">"}, count=10)
    time.sleep(0.15)
    stats = make_consumer(stream_client, consumer="alive", batch=500, claim_idle_ms=100, max_batches=3).run()
    assert stats.claimed == 10
    assert_world_applied(world)
    assert pending_count(redis_client) == 0
    assert DeadLetter.objects.count() == world.bad and redis_client.xlen(DEAD) == world.bad
    assert {d.source_ref for d in DeadLetter.objects.all()} == {ids[3], ids[7], ids[-1]}


def test_an_entry_that_breaks_the_processor_is_isolated_and_dead_lettered(
    stream_client: Any, redis_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler bug (an unexpected exception, not an infrastructure error) must not stop the stream: the
    batch is split until the one entry that breaks is found, and that one becomes a dead letter."""
    from jobs.actions import accounts

    original = accounts.seekers_upsert

    def broken(items: Any) -> Any:
        if any(item.external_id == "poison" for item in items):
            raise KeyError("boom")
        return original(items)

    # The action both the batch and the one-event fallback call: the bug breaks both.
    monkeypatch.setattr(accounts, "seekers_upsert", broken)
    entries = [event_entry(ev.employer(f"ok-{i}")) for i in range(6)]
    entries.insert(4, event_entry(ev.seeker("poison")))
    ids = xadd_all(redis_client, entries)
    stats = make_consumer(stream_client, consumer="c", batch=10, max_batches=2).run()
    assert stats.applied == 6 and stats.rejected == 1 and stats.errors == 0
    assert Employer.objects.count() == 6 and InboxEvent.objects.count() == 6
    letter = DeadLetter.objects.get()
    assert letter.source_ref == ids[4] and "KeyError" in letter.reason and "poison" in letter.raw
    assert pending_count(redis_client) == 0 and redis_client.xlen(DEAD) == 1


def test_consume_events_command_runs_the_consumer(redis_client: Any) -> None:
    world = make_world("cmd", bad=False)
    xadd_all(redis_client, world.entries)
    call_command("consume_events", "--consumer", "cmd-1", "--batch", "100", "--block-ms", "50", "--max-batches", "3")
    assert_world_applied(world)
    assert pending_count(redis_client) == 0
    consumers = {streams.text(c["name"]) for c in redis_client.xinfo_consumers(STREAM, GROUP)}
    assert consumers == {"cmd-1"}


# --- the outbox relay -------------------------------------------------------------------------------------------
def emit(count: int, start: int = 0) -> list[OutboxEvent]:
    rows = []
    for i in range(start, start + count):
        with transaction.atomic():
            if i % 3 == 0:
                payload = {"report_id": f"r-{i}", "outcome": "dismissed"}
                rows.append(outbox_emit(type="report.resolved", payload=payload))
            elif i % 3 == 1:
                payload = {
                    "posting_id": f"p-{i}",
                    "status": "hidden",
                    "reason_code": "scam",
                    "decided_by": "staff",
                    "case_id": i,
                }
                rows.append(outbox_emit(type="posting.moderated", payload=payload))
            else:
                payload = {"subject": {"kind": "employer", "id": f"e-{i}"}, "sanction": "warning"}
                rows.append(outbox_emit(type="sanction.applied", payload=payload))
    return rows


def published(client: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(entry_id, json.loads(fields["event"])) for entry_id, fields in client.xrange(settings.OUTBOX_STREAM)]


def test_relay_publishes_in_id_order_and_marks_rows(stream_client: Any, redis_client: Any) -> None:
    rows = emit(7)
    relay = OutboxRelay(stream_client, batch=3, lag=dt.timedelta(0))
    assert relay.run_once() == 7
    entries = published(redis_client)
    assert [envelope["event_id"] for _id, envelope in entries] == [str(r.event_id) for r in rows]
    # Same envelope as EVENTS.md, source "backoffice".
    first = entries[0][1]
    assert set(first) == {"event_id", "type", "version", "occurred_at", "source", "payload"}
    assert first["source"] == "backoffice" and first["type"] == "report.resolved" and first["version"] == 1
    marked = {str(r.event_id): r for r in OutboxEvent.objects.all()}
    for entry_id, envelope in entries:
        row = marked[envelope["event_id"]]
        assert row.published_at is not None and row.stream_id == entry_id
    assert relay.run_once() == 0  # nothing left
    assert len(published(redis_client)) == 7


def test_relay_waits_out_the_commit_order_lag(stream_client: Any, redis_client: Any) -> None:
    (row,) = emit(1)
    relay = OutboxRelay(stream_client, lag=dt.timedelta(seconds=30))
    assert relay.run_once() == 0  # too fresh: a lower id may still be committing
    OutboxEvent.objects.filter(pk=row.pk).update(created_at=row.created_at - dt.timedelta(seconds=31))
    assert relay.run_once() == 1


def test_relay_crash_between_publish_and_mark_republishes_never_loses(
    stream_client: Any, redis_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = emit(3)

    def crash(self: OutboxRelay, rows: list[OutboxEvent], stream_ids: list[str]) -> None:
        raise RuntimeError("killed between XADD and the mark")

    relay = OutboxRelay(stream_client, lag=dt.timedelta(0))
    with monkeypatch.context() as patch:
        patch.setattr(OutboxRelay, "_mark", crash)
        with pytest.raises(RuntimeError):
            relay.run_once()
    assert len(published(redis_client)) == 3
    assert OutboxEvent.objects.filter(published_at=None).count() == 3  # nothing marked

    assert relay.run_once() == 3  # the rerun publishes them again...
    entries = published(redis_client)
    ids = [envelope["event_id"] for _id, envelope in entries]
    expected = [str(r.event_id) for r in rows]
    assert ids == expected + expected  # ...as duplicates with the same event_id, in order: never a loss
    # Each row is marked once, with the entry of the publication that was marked.
    for row in OutboxEvent.objects.all():
        assert row.published_at is not None
        assert row.stream_id == entries[3 + expected.index(str(row.event_id))][0]
    assert relay.run_once() == 0


def test_only_one_relay_runs_at_a_time(stream_client: Any, redis_client: Any) -> None:
    emit(2)
    holding, release = threading.Event(), threading.Event()

    def other_relay() -> None:
        try:
            with streams.exclusive(LOCK_NAME, ttl_s=30, client=stream_client) as acquired:
                assert acquired
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert holding.wait(10)
        assert OutboxRelay(stream_client, lag=dt.timedelta(0)).run_once() is None
        assert relay_outbox() == {"skipped": "another relay is running"}  # the Celery task steps aside too
        assert OutboxEvent.objects.filter(published_at=None).count() == 2
    finally:
        release.set()
        thread.join(10)
    assert OutboxRelay(stream_client, lag=dt.timedelta(0)).run_once() == 2


def test_relay_task_and_command(redis_client: Any, settings: Any) -> None:
    settings.OUTBOX_RELAY_LAG_MS = 0
    emit(3)
    assert relay_outbox() == {"published": 3}
    emit(2, start=3)
    call_command("relay_outbox", "--once", "--batch", "1")
    assert OutboxEvent.objects.filter(published_at=None).count() == 0
    assert len(published(redis_client)) == 5


# --- parked events: the consumer's housekeeping and the Celery task ----------------------------------------------
def _apply_without_retry(envelope: dict[str, Any]) -> None:
    """Apply one event the way a concurrent consumer's batch does, without retrying what waits for it."""
    from backoffice.events import registry
    from backoffice.events.schemas import validate

    event = validate(envelope)
    (registration,) = [r for r in registry.handlers() if event.type in r.types]
    with transaction.atomic():
        result = registration.handler([event])
    assert not result.parked and not result.rejected


def test_housekeeping_applies_chains_of_parked_events(stream_client: Any, redis_client: Any) -> None:
    """An application and its status change both parked, their posting then committed by another consumer:
    the periodic retry applies both (one key at a time, see StreamConsumer._retry_parked)."""
    consumer = make_consumer(stream_client, consumer="hk", batch=10, max_batches=2)
    xadd_all(redis_client, [event_entry(ev.employer()), event_entry(ev.seeker())])
    xadd_all(redis_client, [event_entry(status_changed("a-1", "hired", minutes=5))])
    xadd_all(redis_client, [event_entry(ev.application(minutes=3))])
    consumer.run()
    assert ParkedEvent.objects.count() == 2
    _apply_without_retry(ev.posting(minutes=1))
    consumer.housekeeping()
    assert ParkedEvent.objects.count() == 0
    assert Application.objects.get(external_id="a-1").status == "hired"
    assert InboxEvent.objects.count() == 4  # the posting was applied outside the inbox on purpose


def test_housekeeping_drops_parked_rows_of_events_already_applied(stream_client: Any) -> None:
    from backoffice.events.processor import RawItem, process_batch

    employer = ev.employer()
    application = ev.application()
    process_batch([RawItem(json.dumps(application), "x")], transport="redis")  # parked: no posting yet
    parked = ParkedEvent.objects.get()
    # The same event applied by another consumer that did not see the parked row (both uncommitted).
    process_batch([RawItem(json.dumps(employer), "e")], transport="redis")
    InboxEvent.objects.create(
        event_id=parked.event_id, type=parked.type, occurred_at=parked.occurred_at, transport="redis"
    )
    make_consumer(stream_client, consumer="hk").housekeeping()
    assert ParkedEvent.objects.count() == 0 and DeadLetter.objects.count() == 0


def test_expire_parked_task_runs_once_at_a_time(settings: Any) -> None:
    from backoffice.events.processor import RawItem, process_batch
    from backoffice.tasks import expire_parked_events

    settings.EVENTS_PARK_SECONDS = 0
    process_batch([RawItem(json.dumps(ev.application(posting_id="p-never")), "x")], transport="redis")
    holding, release = threading.Event(), threading.Event()

    def other_run() -> None:
        try:
            with streams.exclusive("job:backoffice.expire_parked_events", ttl_s=30) as acquired:
                assert acquired
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert holding.wait(10)
        assert expire_parked_events() == {"skipped": "another run holds the lock"}
        assert ParkedEvent.objects.count() == 1
    finally:
        release.set()
        thread.join(10)
    assert expire_parked_events() == {"dead_lettered": 1}
    assert "posting:p-never never arrived" in DeadLetter.objects.get().reason
