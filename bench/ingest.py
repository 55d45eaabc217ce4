"""Benchmark: event ingestion through the Redis Streams consumer, end to end, on PostgreSQL.

Claim under test: "the back-office ingests 5,000 marketplace events per second" (stream → committed rows).

    .venv/bin/python tests/servers.py -- .venv/bin/python bench/ingest.py [--events 50000] [--consumers 2]

The script migrates the throwaway database, pre-generates N realistic events (registrations, postings and their
updates/closures, applications and status changes, reports; about 1.5 % redelivered duplicates, 1.5 % delayed
out of order, 0.5 % invalid), starts ``--consumers`` consumer *processes* (``manage.py consume_events``) on one
group, XADDs every event pipelined, and times until every entry is committed and acked (group lag 0, nothing
pending). Baseline in the same run, on the same Redis with the same payloads: plain XADD + XREADGROUP + XACK in
batches of 500 with no processing. Then ``--profile-events`` more events go through one consumer in-process
under cProfile, with every SQL query and handler call attributed to its event type.

Exits non-zero only on errors (no database, a consumer that dies, events unaccounted for), never on a FAIL
verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_PER_S = 5000.0
STREAM = "bench.marketplace.events"
DEAD_STREAM = "bench.marketplace.events.dead"
GROUP = "backoffice"
BASELINE_STREAM = "bench.baseline"
PROFILE_STREAM = "bench.profile"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="events to ingest (default 50000)")
    parser.add_argument("--consumers", type=int, default=2, help="consumer processes (default 2)")
    parser.add_argument("--batch", type=int, default=500, help="consumer batch size (default 500)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument(
        "--profile-events", type=int, default=2000, help="events for the in-process profile (default 2000; 0 skips)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="give up draining after this many seconds")
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="run although BACKOFFICE_TEST_SERVERS is not set (the script migrates and INSERTs: never production)",
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.consumers < 1 or args.batch < 1 or args.profile_events < 0:
        parser.error("--events, --consumers and --batch must be positive, --profile-events not negative")
    return args


def setup_django(args: argparse.Namespace) -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        sys.exit(
            "bench/ingest.py needs a throwaway PostgreSQL and Redis (DATABASE_URL, REDIS_URL); run it through "
            "tests/servers.py:\n  .venv/bin/python tests/servers.py -- .venv/bin/python bench/ingest.py"
        )
    if os.environ.get("BACKOFFICE_TEST_SERVERS") != "1" and not args.allow_any_database:
        sys.exit(
            "Refusing to run: this script migrates the database in DATABASE_URL and writes ~10 rows per event.\n"
            "Run it through tests/servers.py (throwaway servers), or pass --allow-any-database for a scratch database."
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings_test"
    import django

    django.setup()


# --- a realistic feed ---------------------------------------------------------------------------------------------
KST = dt.timezone(dt.timedelta(hours=9))
REGION_CODES = ("1168010100", "1144012400", "1165010800", "1171010100", "2635010500", "4113510900", "1156013200")
ROLES = (
    ("홀서빙", "food_service"),
    ("주방보조", "food_service"),
    ("편의점 야간", "retail"),
    ("매장 판매", "retail"),
    ("배달 라이더", "delivery"),
    ("사무보조", "office"),
    ("콜센터 상담", "customer_service"),
    ("물류센터 상하차", "manufacturing"),
    ("사무실 청소", "cleaning"),
    ("요양보호 보조", "care"),
    ("초등 수학 과외", "education"),
    ("웹 퍼블리싱", "it"),
    ("행사 스태프", "events"),
    ("심부름 대행", "errands"),
)
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "시우", "서윤", "주원", "하린")
SHOPS = ("행복식당", "푸른마트", "한빛물류", "새솔카페", "다온학원", "미래상사", "하나편의점", "든든배달")
BRANCHES = ("역삼점", "서교점", "본점", "잠실점", "해운대점", "정자점", "여의도점")


@dataclass
class Feed:
    values: list[str]  # stream values (the `event` field), in delivery order
    distinct_valid: int
    invalid: int
    duplicates: int
    delayed: int
    by_type: Counter[str] = field(default_factory=Counter)


class FeedGenerator:
    """A marketplace in motion: later events refer to earlier entities the way real traffic does."""

    WEIGHTS = (
        ("employer.registered", 4),
        ("seeker.registered", 14),
        ("posting.created", 14),
        ("posting.updated", 6),
        ("posting.closed", 2),
        ("application.submitted", 38),
        ("application.status_changed", 19),
        ("report.filed", 3),
    )

    def __init__(self, seed: int, prefix: str) -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.clock = dt.datetime(2026, 11, 25, 9, 0, tzinfo=KST)
        self.employers: list[str] = []
        self.seekers: list[str] = []
        self.postings: list[tuple[str, str, int]] = []  # (posting_id, employer_id, role index)
        self.open_postings: list[int] = []
        self.applications: list[str] = []
        self.pairs: set[tuple[int, int]] = set()
        self.counter = 0

    def _id(self, kind: str) -> str:
        self.counter += 1
        return f"{self.prefix}-{kind}{self.counter}"

    def _envelope(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.clock += dt.timedelta(milliseconds=self.rng.randint(20, 900))
        return {
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "type": event_type,
            "version": 1,
            "occurred_at": self.clock.isoformat(),
            "source": "marketplace-api",
            "payload": payload,
        }

    def _phone(self) -> str:
        return f"010-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"

    def _posting_payload(self, posting_id: str, employer_id: str, role: int, *, updated: bool = False) -> dict:  # type: ignore[type-arg]
        title, category = ROLES[role]
        wage = self.rng.choice((10_500, 11_000, 11_500, 12_000, 13_000, 15_000))
        description = (
            f"{title} 하실 분을 찾습니다. 주 {self.rng.choice((2, 3, 5))}일 근무, 초보 가능, 교통비 지원. "
            "성실하고 책임감 있는 분이면 좋겠습니다."
        )
        roll = self.rng.random()
        if roll < 0.03:
            wage = 8_000  # under the minimum wage: screening flags it
        elif roll < 0.06:
            description += f" 문의는 {self._phone()} 로 바로 연락 주세요."  # contact outside the platform
        return {
            "posting_id": posting_id,
            "employer_id": employer_id,
            "title": f"{title} ({'급구' if updated else '모집'})",
            "description": description,
            "employment_type": "part_time",
            "wage": {"type": "hourly", "amount": wage},
            "hours_per_week": self.rng.choice((12, 16, 20, 24, 30)),
            "region_code": self.rng.choice(REGION_CODES),
            "category": category,
        }

    def _feasible(self, event_type: str) -> bool:
        if event_type == "posting.created":
            return bool(self.employers)
        if event_type in ("posting.updated", "report.filed"):
            return bool(self.postings)
        if event_type == "posting.closed":
            return len(self.open_postings) > 5
        if event_type == "application.submitted":
            return bool(self.open_postings) and bool(self.seekers)
        if event_type == "application.status_changed":
            return bool(self.applications)
        return True

    def _valid(self) -> dict[str, Any]:
        rng = self.rng
        while True:
            event_type = rng.choices([t for t, _w in self.WEIGHTS], weights=[w for _t, w in self.WEIGHTS])[0]
            if self._feasible(event_type):
                break
        if event_type == "employer.registered":
            employer_id = self._id("e")
            self.employers.append(employer_id)
            return self._envelope(
                event_type,
                {
                    "employer_id": employer_id,
                    "business_name": f"{rng.choice(SHOPS)} {rng.choice(BRANCHES)}",
                    "business_number": f"{rng.randint(100, 999)}{rng.randint(10, 99)}{rng.randint(10000, 99999)}",
                    "phone": f"02-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                    "region_code": rng.choice(REGION_CODES),
                    "verified": rng.random() < 0.7,
                },
            )
        if event_type == "seeker.registered":
            seeker_id = self._id("s")
            self.seekers.append(seeker_id)
            return self._envelope(
                event_type,
                {
                    "seeker_id": seeker_id,
                    "display_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "phone": self._phone(),
                    "birth_year": rng.randint(1960, 2006),
                    "region_code": rng.choice(REGION_CODES),
                },
            )
        if event_type == "posting.created":
            posting_id, employer_id, role = self._id("p"), rng.choice(self.employers), rng.randrange(len(ROLES))
            self.postings.append((posting_id, employer_id, role))
            self.open_postings.append(len(self.postings) - 1)
            return self._envelope(event_type, self._posting_payload(posting_id, employer_id, role))
        if event_type == "posting.updated":
            posting_id, employer_id, role = rng.choice(self.postings)
            return self._envelope(event_type, self._posting_payload(posting_id, employer_id, role, updated=True))
        if event_type == "posting.closed":
            index = self.open_postings.pop(rng.randrange(len(self.open_postings)))
            reason = rng.choice(("filled", "filled", "cancelled", "other"))
            return self._envelope(event_type, {"posting_id": self.postings[index][0], "reason": reason})
        if event_type == "application.submitted":
            for _attempt in range(10):
                posting_index = rng.choice(self.open_postings[-200:])
                seeker_index = rng.randrange(len(self.seekers))
                if (posting_index, seeker_index) not in self.pairs:
                    break
            else:
                return self._valid()
            self.pairs.add((posting_index, seeker_index))
            application_id = self._id("a")
            self.applications.append(application_id)
            payload = {
                "application_id": application_id,
                "posting_id": self.postings[posting_index][0],
                "seeker_id": self.seekers[seeker_index],
                "message": "성실하게 일하겠습니다. 연락 부탁드립니다.",
            }
            return self._envelope(event_type, payload)
        if event_type == "application.status_changed":
            status = rng.choice(("viewed", "viewed", "shortlisted", "rejected", "hired", "withdrawn"))
            return self._envelope(
                event_type, {"application_id": rng.choice(self.applications[-500:]), "status": status}
            )
        posting_id = rng.choice(self.postings)[0]
        return self._envelope(
            "report.filed",
            {
                "report_id": self._id("r"),
                "reporter": {"kind": "seeker", "id": rng.choice(self.seekers) if self.seekers else "anon"},
                "target": {"kind": "posting", "id": posting_id},
                "reason": rng.choice(("scam", "illegal_wage", "spam", "inappropriate", "other")),
                "text": "확인 부탁드립니다.",
            },
        )

    def feed(self, n: int) -> Feed:
        rng = self.rng
        values: list[str] = []
        sent: list[str] = []
        delayed: list[tuple[int, str]] = []
        by_type: Counter[str] = Counter()
        distinct = invalid = duplicates = delayed_count = 0
        while len(values) < n:
            for due in [d for d in delayed if d[0] <= len(values)]:
                delayed.remove(due)
                values.append(due[1])
            roll = rng.random()
            if roll < 0.015 and sent:
                values.append(rng.choice(sent[-2000:]))  # redelivery: same event_id
                duplicates += 1
                continue
            if roll < 0.02:
                invalid += 1
                kind = rng.randrange(3)
                if kind == 0:
                    values.append('{"event_id": "' + str(uuid.uuid4()) + '", "type": ')  # truncated JSON
                    continue
                # Invalid registrations of entities nobody refers to (the model is not told about them).
                payload = {"seeker_id": self._id("x"), "display_name": "김민준", "phone": self._phone()}
                payload["region_code"] = rng.choice(REGION_CODES)
                envelope = self._envelope("seeker.registered", payload)
                if kind == 1:
                    del envelope["payload"]["phone"]  # a required field missing
                else:
                    envelope["version"] = 2  # unsupported version
                values.append(json.dumps(envelope, ensure_ascii=False))
                continue
            envelope = self._valid()
            value = json.dumps(envelope, ensure_ascii=False)
            distinct += 1
            by_type[envelope["type"]] += 1
            sent.append(value)
            if roll < 0.035:
                delayed.append((len(values) + rng.randint(2, 50), value))  # overtaken by later events
                delayed_count += 1
            else:
                values.append(value)
        values.extend(value for _due, value in delayed)
        return Feed(values, distinct, invalid, duplicates, delayed_count, by_type)


# --- helpers ------------------------------------------------------------------------------------------------------
def xadd_pipelined(client: Any, stream: str, values: Sequence[str], chunk: int = 1000) -> None:
    for start in range(0, len(values), chunk):
        pipe = client.pipeline(transaction=False)
        for value in values[start : start + chunk]:
            pipe.xadd(stream, {"event": value})
        pipe.execute()


def group_state(client: Any, stream: str, group: str) -> tuple[int, int]:
    """(lag, pending) of a consumer group."""
    for info in client.xinfo_groups(stream):
        name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
        if name == group:
            return int(info.get("lag") or 0), int(info["pending"])
    return -1, -1


@dataclass
class ConsumerProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path


def start_consumers(args: argparse.Namespace, workdir: Path) -> list[ConsumerProcess]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings_test", "LOG_LEVEL": "INFO"}
    started = []
    for i in range(args.consumers):
        name = f"bench-{i}"
        log_path = workdir / f"{name}.log"
        command = [
            sys.executable,
            "manage.py",
            "consume_events",
            "--consumer",
            name,
            "--stream",
            STREAM,
            "--group",
            GROUP,
            "--dead-stream",
            DEAD_STREAM,
            "--batch",
            str(args.batch),
            "--block-ms",
            "200",
        ]
        with log_path.open("wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append(ConsumerProcess(name, proc, log_path))
    return started


def stop_consumers(consumers: Sequence[ConsumerProcess]) -> None:
    for consumer in consumers:
        if consumer.proc.poll() is None:
            consumer.proc.send_signal(signal.SIGTERM)
    for consumer in consumers:
        try:
            consumer.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.proc.kill()


BATCH_LINE = re.compile(r"events\.batch consumer=(\S+) source=(\S+) count=(\d+) .* ms=([\d.]+)")


def batch_summary(consumers: Sequence[ConsumerProcess]) -> list[str]:
    lines = []
    for consumer in consumers:
        batches = [BATCH_LINE.search(line) for line in consumer.log_path.read_text(errors="replace").splitlines()]
        found = [m for m in batches if m]
        entries = sum(int(m.group(3)) for m in found)
        total_ms = sum(float(m.group(4)) for m in found)
        per_event = total_ms / entries if entries else 0.0
        lines.append(
            f"  {consumer.name}: {len(found)} batches, {entries} entries, {total_ms / 1000:.1f} s in batches "
            f"({per_event:.2f} ms/event inside a batch)"
        )
    return lines


# --- the timed runs -----------------------------------------------------------------------------------------------
def run_consumers(args: argparse.Namespace, client: Any, feed: Feed, workdir: Path) -> tuple[float, list[str]]:
    from backoffice.events import streams

    streams.ensure_group(client, STREAM, GROUP)
    consumers = start_consumers(args, workdir)
    try:
        deadline = time.monotonic() + 120
        while True:
            names = {c["name"].decode() for c in client.xinfo_consumers(STREAM, GROUP)}
            if all(c.name in names for c in consumers):
                break
            dead = [c.name for c in consumers if c.proc.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise SystemExit(f"consumers did not start ({dead or 'timeout'}); logs in {workdir}")
            time.sleep(0.1)
        log(f"{_consumers(len(consumers))} ready; XADDing {len(feed.values)} entries")
        started = time.perf_counter()
        xadd_pipelined(client, STREAM, feed.values)
        xadd_s = time.perf_counter() - started
        log(f"XADD done in {xadd_s:.2f} s; draining")
        last_report = time.monotonic()
        while True:
            lag, pending = group_state(client, STREAM, GROUP)
            if lag == 0 and pending == 0:
                break
            if time.perf_counter() - started > args.timeout:
                raise SystemExit(f"not drained after {args.timeout:.0f} s (lag {lag}, pending {pending})")
            dead = [c.name for c in consumers if c.proc.poll() is not None]
            if dead:
                raise SystemExit(f"consumer(s) {dead} died; logs in {workdir}")
            if time.monotonic() - last_report > 10:
                done = len(feed.values) - lag - pending
                elapsed = time.perf_counter() - started
                log(f"  {done}/{len(feed.values)} acked after {elapsed:.0f} s ({done / elapsed:.0f}/s)")
                last_report = time.monotonic()
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop_consumers(consumers)
    return elapsed, batch_summary(consumers)


def run_baseline(client: Any, values: Sequence[str], batch: int = 500) -> tuple[float, float]:
    """Plain Redis: XADD pipelined, then XREADGROUP COUNT 500 + XACK until empty. (total s, read+ack s)."""
    client.delete(BASELINE_STREAM)
    client.xgroup_create(BASELINE_STREAM, GROUP, id="0", mkstream=True)
    started = time.perf_counter()
    xadd_pipelined(client, BASELINE_STREAM, values)
    read_started = time.perf_counter()
    while True:
        response = client.xreadgroup(GROUP, "baseline", {BASELINE_STREAM: ">"}, count=batch)
        if not response:
            break
        ids = [entry_id for _stream, entries in response for entry_id, _fields in entries]
        client.xack(BASELINE_STREAM, GROUP, *ids)
    finished = time.perf_counter()
    client.delete(BASELINE_STREAM)
    return finished - started, finished - read_started


# --- profile ------------------------------------------------------------------------------------------------------
PROCESSOR = "(processor and consumer, outside handlers)"
SCREENING = "(screening, batched after commit)"
_current = contextvars.ContextVar("bench_current", default=PROCESSOR)
SQL_KEY = re.compile(
    r'^\s*(SELECT .*?FROM\s+"?(\w+)"?|INSERT INTO\s+"?(\w+)"?|UPDATE\s+"?(\w+)"?|DELETE FROM\s+"?(\w+)"?|'
    r"(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)|(\w+))",
    re.IGNORECASE | re.DOTALL,
)


def sql_key(sql: str) -> str:
    match = SQL_KEY.match(sql)
    if not match:
        return sql[:40]
    verb = sql.strip().split(None, 1)[0].upper()
    if match.group(6):
        return match.group(6).upper()
    table = next((g for g in match.groups()[1:5] if g), "")
    if verb == "SELECT" and "FOR UPDATE" in sql.upper():
        verb = "SELECT … FOR UPDATE"
    return f"{verb} {table}".strip()


@dataclass
class Attribution:
    phase_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)
    handler_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    queries: Counter[str] = field(default_factory=Counter)
    query_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    sql_count: Counter[str] = field(default_factory=Counter)
    sql_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


@contextlib.contextmanager
def attributed(attribution: Attribution) -> Iterator[None]:
    """Time every handler call and SQL query, attributed to the event type (or phase) it belongs to."""
    from django.db import connection

    from backoffice.events import consumer as consumer_module
    from backoffice.events import registry

    original = dict(registry._HANDLERS)
    original_process_batch = consumer_module.process_batch

    def process_batch(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_process_batch(*args, **kwargs)
        finally:
            attribution.phase_s["process_batch"] += time.perf_counter() - started

    consumer_module.process_batch = process_batch

    def wrap(event_type: str, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def timed(event: Any) -> None:
            token = _current.set(event_type)
            started = time.perf_counter()
            try:
                handler(event)
            finally:
                attribution.handler_s[event_type] += time.perf_counter() - started
                attribution.calls[event_type] += 1
                _current.reset(token)

        return timed

    for event_type, handler in original.items():
        registry._HANDLERS[event_type] = wrap(event_type, handler)

    screening: Any = None
    with contextlib.suppress(ImportError):
        from moderation import screening
    original_screen = screening.screen_postings if screening else None
    if screening is not None:

        def screen(posting_ids: Any) -> Any:
            token = _current.set(SCREENING)
            started = time.perf_counter()
            try:
                return original_screen(posting_ids)
            finally:
                attribution.phase_s[SCREENING] += time.perf_counter() - started
                attribution.calls[SCREENING] += 1
                _current.reset(token)

        screening.screen_postings = screen

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            owner = _current.get()
            key = sql_key(sql)
            attribution.queries[owner] += 1
            attribution.query_s[owner] += elapsed
            attribution.sql_count[key] += 1
            attribution.sql_s[key] += elapsed

    try:
        with connection.execute_wrapper(wrapper):
            yield
    finally:
        registry._HANDLERS.clear()
        registry._HANDLERS.update(original)
        consumer_module.process_batch = original_process_batch
        if screening is not None:
            screening.screen_postings = original_screen


def phase_line(label: str, seconds: float, events: int, elapsed: float) -> str:
    return f"    {label:<42} {seconds * 1000 / events:6.2f} ms  {seconds / elapsed:4.0%}"


def run_profile(args: argparse.Namespace, client: Any) -> list[str]:
    from backoffice.events import streams
    from backoffice.events.consumer import StreamConsumer

    feed = FeedGenerator(args.seed + 1, "prof").feed(args.profile_events)
    client.delete(PROFILE_STREAM)
    xadd_pipelined(client, PROFILE_STREAM, feed.values)
    consumer_client = streams.redis_client(os.environ["REDIS_URL"], block_ms=100)
    consumer = StreamConsumer(
        consumer_client,
        stream=PROFILE_STREAM,
        group=GROUP,
        consumer="profiler",
        dead_stream=DEAD_STREAM,
        batch=args.batch,
        block_ms=100,
        claim_idle_ms=0,
        expire_interval_s=0,
        max_batches=len(feed.values) // args.batch + 3,
    )
    attribution = Attribution()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with attributed(attribution):
        profiler.enable()
        stats = consumer.run()
        profiler.disable()
    elapsed = time.perf_counter() - started
    consumer_client.close()
    events = stats.entries or 1
    handlers_s = sum(attribution.handler_s.values())
    batch_s = attribution.phase_s["process_batch"]
    screening_s = attribution.phase_s[SCREENING]
    rest_s = elapsed - batch_s - screening_s
    out = [
        f"PROFILE: one consumer in-process, {stats.entries} entries in {elapsed:.1f} s under cProfile "
        f"({stats.entries / elapsed:.0f}/s, {elapsed * 1000 / events:.2f} ms per entry; cProfile slows Python ~1.5-2×)",
        f"  outcomes: applied {stats.applied}, duplicates {stats.duplicates}, parked {stats.parked}, "
        f"rejected {stats.rejected}",
        "",
        "  where the time goes, per entry:",
        phase_line("handlers (services, their SQL)", handlers_s, events, elapsed),
        phase_line("processor around them (validate, dedup,", batch_s - handlers_s, events, elapsed),
        "      savepoints, inbox/parked/dead rows, parked retries)",
        phase_line("screening of the batch's postings", screening_s, events, elapsed),
        phase_line("the rest (XREADGROUP/XACK, commit,", rest_s, events, elapsed),
        "      post-commit parked retries)",
        "",
        f"  {'handler / phase':<40} {'calls':>6} {'ms/call':>8} {'queries/call':>12} {'SQL ms/call':>11}",
    ]
    rows = []
    for owner, calls in attribution.calls.items():
        seconds = attribution.handler_s.get(owner) or attribution.phase_s.get(owner, 0.0)
        rows.append((seconds, owner, calls))
    for seconds, owner, calls in sorted(rows, reverse=True):
        out.append(
            f"  {owner[:40]:<40} {calls:>6} {seconds * 1000 / calls:>8.2f} "
            f"{attribution.queries[owner] / calls:>12.1f} {attribution.query_s[owner] * 1000 / calls:>11.2f}"
        )
    out.append(
        f"  {PROCESSOR[:40]:<40} {events:>6} {'':>8} {attribution.queries[PROCESSOR] / events:>12.1f} "
        f"{attribution.query_s[PROCESSOR] * 1000 / events:>11.2f}   (per entry)"
    )
    total_queries = sum(attribution.queries.values())
    out.append(
        f"  SQL total {sum(attribution.query_s.values()):.1f} s in {total_queries} queries "
        f"({total_queries / events:.1f} per entry)"
    )
    out += ["", f"  {'SQL statement (verb + table)':<52} {'count':>7} {'per event':>9} {'ms total':>9}"]
    for key, seconds in sorted(attribution.sql_s.items(), key=lambda kv: -kv[1])[:25]:
        count = attribution.sql_count[key]
        out.append(f"  {key[:52]:<52} {count:>7} {count / events:>9.2f} {seconds * 1000:>9.0f}")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(r"(jobs|moderation|backoffice)/", 30)
    out += ["", "  cProfile, project functions by cumulative time:"]
    out += ["  " + line for line in buffer.getvalue().splitlines() if line.strip()][-34:]
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(18)
    out += ["", "  cProfile, all functions by own time:"]
    out += ["  " + line for line in buffer.getvalue().splitlines() if line.strip()][-20:]
    return out


# --- main ---------------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    setup_django(args)
    from django.core.management import call_command

    from backoffice.events import streams
    from backoffice.events.consumer import StreamConsumer
    from backoffice.models import DeadLetter, InboxEvent, ParkedEvent

    log("migrating")
    call_command("migrate", verbosity=0)
    if InboxEvent.objects.exists():
        sys.exit("The database already holds consumed events: the benchmark needs an empty, freshly migrated one.")
    started = time.perf_counter()
    feed = FeedGenerator(args.seed, "bench").feed(args.events)
    log(
        f"generated {len(feed.values)} entries in {time.perf_counter() - started:.1f} s: {feed.distinct_valid} "
        f"distinct valid events, {feed.duplicates} duplicates, {feed.delayed} delayed, {feed.invalid} invalid"
    )
    client = streams.redis_client(os.environ["REDIS_URL"], block_ms=1000)
    for key in (STREAM, DEAD_STREAM, BASELINE_STREAM, PROFILE_STREAM):
        client.delete(key)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))

    consumer_s, per_consumer = run_consumers(args, client, feed, workdir)
    parked_at_drain = ParkedEvent.objects.count()
    # Untimed: what the consumers' periodic housekeeping (every 30 s) does to events parked by a race between
    # the two consumers (one parks what the other's uncommitted batch provides).
    StreamConsumer(client, stream=STREAM, group=GROUP, consumer="bench-housekeeping").housekeeping()
    inbox, parked, dead = InboxEvent.objects.count(), ParkedEvent.objects.count(), DeadLetter.objects.count()
    accounted = inbox == feed.distinct_valid and parked == 0 and dead == feed.invalid
    baseline_s, baseline_read_s = run_baseline(client, feed.values)

    rate = len(feed.values) / consumer_s
    baseline_rate = len(feed.values) / baseline_s
    verdict = "PASS" if rate >= TARGET_PER_S else "FAIL"
    lines = [
        "",
        f"ingest benchmark — {datetime_now()} — {platform.node()}, {os.cpu_count()} CPUs, load {load()}",
        f"entries: {len(feed.values)} ({feed.distinct_valid} distinct valid: "
        + ", ".join(f"{t} {n}" for t, n in feed.by_type.most_common())
        + f"; {feed.duplicates} duplicates, {feed.delayed} delayed, {feed.invalid} invalid)",
        "",
        f"{'run':<58} {'seconds':>8} {'events/s':>10} {'× baseline':>10}",
        "-" * 90,
        f"{f'(a) {_consumers(args.consumers)}, batch {args.batch}, to committed + acked':<58} "
        f"{consumer_s:>8.2f} {rate:>10.0f} {rate / baseline_rate:>10.3f}",
        f"{'(b) baseline: XADD + XREADGROUP/XACK (500), no processing':<58} "
        f"{baseline_s:>8.2f} {baseline_rate:>10.0f} {1:>10.3f}",
        f"{'    of which XREADGROUP + XACK only':<58} {baseline_read_s:>8.2f} "
        f"{len(feed.values) / baseline_read_s:>10.0f}",
        *per_consumer,
        "",
        f"rows: inbox {inbox}, parked {parked} ({parked_at_drain} when drained, before the periodic retry), "
        f"dead letters {dead} — "
        + (
            "every event applied once, every invalid one dead-lettered"
            if accounted
            else f"MISMATCH (expected inbox {feed.distinct_valid}, dead letters {feed.invalid})"
        ),
        f"VERDICT: {verdict} — {rate:.0f} events/s with {_consumers(args.consumers)} "
        f"({'≥' if rate >= TARGET_PER_S else '<'} {TARGET_PER_S:.0f}/s target; {rate / TARGET_PER_S:.2f}× of it); "
        f"plain Redis moves the same entries at {baseline_rate:.0f}/s",
    ]
    print("\n".join(lines), flush=True)
    if args.profile_events:
        log(f"profiling one consumer in-process over {args.profile_events} more events")
        print("\n" + "\n".join(run_profile(args, client)), flush=True)
    client.close()
    if not accounted:
        return 1
    return 0


def datetime_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def load() -> str:
    with contextlib.suppress(OSError):
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return "?"


def _consumers(n: int) -> str:
    return "1 consumer process" if n == 1 else f"{n} consumer processes"


def main(argv: Sequence[str]) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
