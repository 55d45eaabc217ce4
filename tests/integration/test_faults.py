"""Faults on the real thing: consumer processes (``manage.py consume_events``) killed mid-work, Redis restarted
under a running consumer, the database gone for a while. After each, every event has taken effect exactly once
and every entry is acked.

The consumers run as subprocesses against the test database (its name differs from DATABASE_URL's, so the URL
is rebuilt from the test connection's settings). Test-only environment hooks in consumer.py hold a consumer
at a precise point (after the read, before the commit, before the ack) so that the fault lands exactly there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
import redis
from django.db import connection

from backoffice.events import streams
from backoffice.events.consumer import (
    MISSING_FIELD_REASON,
    PAUSE_AFTER_READ_ENV,
    PAUSE_BEFORE_ACK_ENV,
    PAUSE_BEFORE_COMMIT_ENV,
)
from backoffice.models import DeadLetter, InboxEvent
from tests.integration.test_streams import (
    DEAD,
    GROUP,
    STREAM,
    assert_world_applied,
    make_world,
    pending_count,
    xadd_all,
)
from tests.servers import free_port, wait_for_port

pytestmark = [pytest.mark.needs_redis, pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


def subprocess_database_url(application_name: str) -> str:
    """The test database (not DATABASE_URL's), as a URL for a subprocess, tagged so pg_stat_activity finds it."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}?application_name={application_name}"


class Consumers:
    """Starts ``manage.py consume_events`` subprocesses and makes sure none outlives the test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(
        self, name: str, redis_url: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
            "DATABASE_URL": subprocess_database_url(f"fault-{name}"),
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [sys.executable, "manage.py", "consume_events", "--consumer", name, "--block-ms", "100", *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {log.name} ---\n{log.read_text(errors='replace')[-6000:]}" for _p, log in self.procs)

    def log_of(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 15) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    manager = Consumers(tmp_path)
    yield manager
    manager.cleanup()


def consumer_registered(client: Any, name: str, stream: str = STREAM) -> bool:
    with contextlib.suppress(redis.ResponseError):
        return any(streams.text(c["name"]) == name for c in client.xinfo_consumers(stream, GROUP))
    return False


def pending_of(client: Any, name: str) -> int:
    return sum(int(c["pending"]) for c in client.xinfo_consumers(STREAM, GROUP) if streams.text(c["name"]) == name)


def settled(client: Any, expected_inbox: int) -> Callable[[], bool]:
    def check() -> bool:
        return InboxEvent.objects.count() == expected_inbox and pending_count(client) == 0

    return check


# --- (a) a consumer killed in the middle of its work -------------------------------------------------------------
@pytest.mark.parametrize("killed", ["after_read", "before_ack"])
def test_killed_consumer_work_is_claimed_and_applied_exactly_once(
    killed: str, redis_url: str, redis_client: Any, consumers: Consumers
) -> None:
    """SIGKILL right after XREADGROUP (nothing committed) or after the commit but before XACK (everything
    committed, nothing acked): another consumer XAUTOCLAIMs the pending entries; the inbox makes the second
    delivery harmless, and rejected entries are not dead-lettered twice."""
    world = make_world(f"kill-{killed}")
    ids = xadd_all(redis_client, world.entries)
    hook = PAUSE_AFTER_READ_ENV if killed == "after_read" else PAUSE_BEFORE_ACK_ENV
    victim = consumers.start("victim", redis_url, "--claim-idle-ms", "0", env={hook: "60000"})
    if killed == "after_read":
        wait_for(
            lambda: consumer_registered(redis_client, "victim") and pending_of(redis_client, "victim") == len(ids),
            timeout=30,
            what="the victim to read every entry",
            logs=consumers.logs,
        )
    else:
        wait_for(
            lambda: InboxEvent.objects.count() == world.distinct_events,
            timeout=30,
            what="the victim to commit its batch",
            logs=consumers.logs,
        )
    victim.kill()
    victim.wait(timeout=10)
    assert pending_count(redis_client) == len(ids)  # nothing acked
    assert InboxEvent.objects.count() == (0 if killed == "after_read" else world.distinct_events)
    assert redis_client.xlen(DEAD) == 0

    rescuer = consumers.start("rescuer", redis_url, "--claim-idle-ms", "300")
    wait_for(settled(redis_client, world.distinct_events), timeout=30, what="the rescuer", logs=consumers.logs)
    assert "events.claimed consumer=rescuer" in consumers.log_of("rescuer")
    assert_world_applied(world)
    # The bad entries: one dead letter each, in the table and the stream, whichever delivery stored it.
    letters = DeadLetter.objects.all()
    assert sorted(d.source_ref for d in letters) == sorted([ids[3], ids[7], ids[-1]])
    assert MISSING_FIELD_REASON in {d.reason for d in letters}
    assert redis_client.xlen(DEAD) == 3
    assert consumers.stop(rescuer) == 0  # SIGTERM: graceful


# --- (b) Redis restarted under a running consumer ------------------------------------------------------------------
class OwnRedis:
    """A redis-server of our own on a fixed port, with an fsync-always append-only file: it can be killed and
    started again on the same port with its data (a production Redis persists; a stream is not a cache)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=15)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-fault-redis-"))
    server = OwnRedis(workdir)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_consumer_survives_a_redis_restart(own_redis: OwnRedis, consumers: Consumers) -> None:
    """Redis is killed while the consumer holds a committed, not yet acked batch, and comes back on the same
    port: the consumer reconnects with backoff, re-reads its own pending entries (duplicates now), acks them,
    and goes on with new ones."""
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    first, second = make_world("redis-1", bad=False), make_world("redis-2", bad=False)
    xadd_all(client, first.entries)
    consumer = consumers.start(
        "survivor", own_redis.url, "--claim-idle-ms", "60000", env={PAUSE_BEFORE_ACK_ENV: "1500"}
    )
    wait_for(
        lambda: InboxEvent.objects.count() == first.distinct_events,
        timeout=30,
        what="the first batch to commit",
        logs=consumers.logs,
    )
    assert pending_count(client) == len(first.entries)  # committed, held before the ack
    own_redis.kill()
    client.close()
    wait_for(
        lambda: "kind=redis" in consumers.log_of("survivor"),
        timeout=15,
        what="the consumer to notice Redis is gone",
        logs=consumers.logs,
    )
    own_redis.start()
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    # The stream, the group and its pending list survived (AOF); the consumer acks them soon.
    assert client.xlen(STREAM) == len(first.entries) and pending_count(client) in (0, len(first.entries))
    xadd_all(client, second.entries)
    total = first.distinct_events + second.distinct_events
    wait_for(settled(client, total), timeout=30, what="everything to be applied and acked", logs=consumers.logs)
    assert consumer.poll() is None  # it never crashed
    # After reconnecting it re-read its own unacked batch: all duplicates now, acked without effect.
    n = len(first.entries)
    assert f"source=own_pending count={n} applied=0 duplicates={n}" in consumers.log_of("survivor")
    assert consumers.stop(consumer) == 0
    client.close()


# --- (c) the database unavailable for a while ------------------------------------------------------------------------
@contextlib.contextmanager
def control_connection() -> Iterator[psycopg.Connection[Any]]:
    """A connection to the maintenance database, to close and reopen the test database from outside it."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"],
        port=s["PORT"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        yield conn


def test_database_outage_acks_nothing_until_commit(redis_url: str, redis_client: Any, consumers: Consumers) -> None:
    """The consumer's connection is terminated while its batch is applied but not committed, and the database
    refuses connections for a few seconds: the batch rolls back, nothing is acked, the consumer backs off and
    retries; when the database is back, every event is applied once and acked."""
    world = make_world("db")
    ids = xadd_all(redis_client, world.entries)
    name = "fault-dbvictim"
    database = connection.settings_dict["NAME"]
    consumer = consumers.start("dbvictim", redis_url, "--claim-idle-ms", "60000", env={PAUSE_BEFORE_COMMIT_ENV: "1500"})
    with control_connection() as control:

        def in_transaction() -> bool:
            rows = control.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'idle in transaction'",
                [name],
            ).fetchone()
            return bool(rows and rows[0])

        wait_for(
            lambda: "point=before_commit" in consumers.log_of("dbvictim"),
            timeout=30,
            what="the consumer to apply its batch",
            logs=consumers.logs,
        )
        wait_for(in_transaction, timeout=5, what="the consumer's open transaction", logs=consumers.logs)
        assert InboxEvent.objects.count() == 0  # (also opens our own connection before the doors close)
        try:
            control.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
            control.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [name]
            )
            wait_for(
                lambda: consumers.log_of("dbvictim").count("kind=database") >= 4,
                timeout=15,
                what="the consumer to fail and retry",
                logs=consumers.logs,
            )
            # Down: nothing committed, nothing acked, and the consumer is still running.
            assert InboxEvent.objects.count() == 0 and DeadLetter.objects.count() == 0
            assert pending_count(redis_client) == len(ids)
            assert consumer.poll() is None
        finally:
            control.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    wait_for(settled(redis_client, world.distinct_events), timeout=30, what="recovery", logs=consumers.logs)
    assert_world_applied(world)
    assert DeadLetter.objects.count() == 3 and redis_client.xlen(DEAD) == 3
    assert consumers.stop(consumer) == 0
