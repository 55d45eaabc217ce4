"""Benchmark: the GraphQL API served by gunicorn on PostgreSQL, against a hand-written Django view of the same JSON.

Claims under test:
  "Served by gunicorn on PostgreSQL, its throughput compared in the same run with a hand-written Django view that
  returns the same JSON using .values() and JsonResponse (the fastest plain-Django way): at most 2× slower."
  "jobPostings(first: 50) with employer and application counts: SQL queries per request constant (≤ 5)."

    .venv/bin/python tests/servers.py -- .venv/bin/python bench/graphql.py [--requests 2000] [--concurrency 4]

``tests/servers.py`` starts a throwaway PostgreSQL and Redis and exports ``DATABASE_URL`` / ``REDIS_URL``. This
script migrates that database, stores ``--postings`` postings of ``--employers`` employers (``bulk_create``), creates
a ``jobs:read`` API token and starts gunicorn (sync workers) with ``bench.graphql_settings``: the production
settings plus the baseline view (``bench/graphql_baseline.py``, ``GET /bench/postings/``). Client threads with
``http.client`` then send the same GraphQL query (``POST /graphql/``) and the baseline request in alternating
rounds (ABBA...), so both see the same machine noise. Before any timing, both answers are checked to be the same
JSON document. SQL queries per GraphQL request are counted in-process for ``first: 5`` and ``first: 50``; both
requests and their parts (authentication, GraphQL execution, the ORM query, the ``.values()`` query) are timed
in-process without a profiler, then ``--profile`` more GraphQL requests run under cProfile.

The machine is shared and noisy: compare ratios between runs, read req/s and milliseconds as context. Exits
non-zero on errors (no database, a server that does not start, answers that differ, a non-200 answer, queries
that grow with the page size), never on a FAIL verdict.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import http.client
import io
import itertools
import json
import math
import os
import platform
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and this file would shadow graphql-core ("graphql").
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SETTINGS = "bench.graphql_settings"
MAX_RATIO = 2.0  # the claim: GraphQL at most 2× slower than the baseline
MAX_QUERIES = 5
GRAPHQL_PATH = "/graphql/"
BASELINE_PATH = "/bench/postings/"
FIELDS = "id externalId title status wageAmount applicationCount employer { externalId businessName }"
QUERY_TEMPLATE = "query Postings { jobPostings(first: %d) { edges { node { " + FIELDS + " } } } }"
QUERY = QUERY_TEMPLATE % 50
# Behind the production TLS proxy every request carries this; SECURE_SSL_REDIRECT stays on.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=5_000, help="postings in the table (default 5000)")
    parser.add_argument("--employers", type=int, default=500, help="employers (default 500)")
    parser.add_argument("--requests", type=int, default=2_000, help="timed requests per endpoint (default 2000)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds the requests are split in (4)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests per endpoint first (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads, one connection each (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--in-process", type=int, default=300, help="in-process rounds, every request and part once each (300; 0 skips)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=300,
        metavar="N",
        help="cProfile N in-process GraphQL requests (default 300; 0 skips)",
    )
    parser.add_argument("--seed", type=int, default=7, help="data generator seed (default 7)")
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="run although BACKOFFICE_TEST_SERVERS is not set (the script migrates and INSERTs: never production)",
    )
    args = parser.parse_args(argv)
    if min(args.postings, args.employers, args.requests, args.rounds, args.concurrency, args.workers) < 1:
        parser.error("--postings, --employers, --requests, --rounds, --concurrency and --workers must be positive")
    if min(args.warmup, args.in_process, args.profile) < 0:
        parser.error("--warmup, --in-process and --profile must not be negative")
    if args.postings < 50:
        parser.error("--postings must be at least 50 (one full page)")
    return args


def server_env() -> dict[str, str]:
    """What both this process and gunicorn need on top of DATABASE_URL (production settings, DEBUG off)."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(args: argparse.Namespace) -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/graphql.py needs a throwaway PostgreSQL in DATABASE_URL; run it through tests/servers.py:\n"
            "  .venv/bin/python tests/servers.py -- .venv/bin/python bench/graphql.py"
        )
    if os.environ.get("BACKOFFICE_TEST_SERVERS") != "1" and not args.allow_any_database:
        sys.exit(
            "Refusing to run: this script migrates the database in DATABASE_URL and inserts postings, employers and\n"
            "an API token. Run it through tests/servers.py (throwaway servers), or pass --allow-any-database for a "
            "scratch database."
        )
    os.environ.update(server_env())
    import warnings

    # STATIC_ROOT does not exist without collectstatic; WhiteNoise says so once. The API serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


# --- data ---------------------------------------------------------------------------------------------------------
def generate(args: argparse.Namespace) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from jobs.models import (
        Category,
        CloseReason,
        Employer,
        EmploymentType,
        JobPosting,
        PostingStatus,
        VerificationStatus,
        WageType,
    )
    from jobs.text import content_fingerprint

    if Employer.objects.exists() or JobPosting.objects.exists():
        sys.exit(
            "The database already holds employers or postings: the benchmark needs an empty, freshly migrated one."
        )
    started = time.perf_counter()
    rng = random.Random(args.seed)
    now = timezone.now()
    shops = ("행복식당", "푸른마트", "한빛물류", "새솔카페", "다온학원", "미래상사", "하나편의점", "든든배달")
    roles = ("홀서빙", "주방보조", "편의점 야간", "매장 판매", "배달 라이더", "사무보조", "물류센터 상하차")
    statuses = (
        *[PostingStatus.PUBLISHED] * 7,
        PostingStatus.PENDING_REVIEW,
        PostingStatus.HIDDEN,
        PostingStatus.CLOSED,
    )
    with transaction.atomic():
        employers = Employer.objects.bulk_create(
            [
                Employer(
                    external_id=f"bench-e-{i:06d}",
                    business_name=f"{shops[i % len(shops)]} {i}호점",
                    business_number=str(1_000_000_000 + i),
                    phone="02-555-0100",
                    region_code="1168010100",
                    verification_status=VerificationStatus.VERIFIED if i % 3 else VerificationStatus.UNVERIFIED,
                    created_at=now - dt.timedelta(days=400, minutes=i),
                )
                for i in range(args.employers)
            ],
            batch_size=1000,
        )
        postings = []
        for i in range(args.postings):
            title = f"{roles[i % len(roles)]} 알바 구합니다 {i}"
            description = "역삼역 근처 매장에서 함께 일하실 분을 찾습니다. 식사 제공, 주휴수당 지급."
            status = rng.choice(statuses)
            postings.append(
                JobPosting(
                    external_id=f"bench-p-{i:07d}",
                    employer=employers[rng.randrange(len(employers))],
                    title=title,
                    description=description,
                    employment_type=EmploymentType.PART_TIME,
                    wage_type=WageType.HOURLY,
                    wage_amount=10_030 + 10 * rng.randrange(300),
                    hours_per_week=rng.choice((8, 16, 20, 30, 40)),
                    region_code="1168010100",
                    category=Category.FOOD_SERVICE,
                    status=status,
                    close_reason=CloseReason.FILLED if status == PostingStatus.CLOSED else "",
                    content_fingerprint=content_fingerprint(title, description),
                    application_count=rng.randrange(60),
                    created_at=now - dt.timedelta(minutes=i),
                )
            )
        JobPosting.objects.bulk_create(postings, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def create_token() -> str:
    from backoffice.audit import Actor
    from backoffice.events.tokens import api_token_create

    _token, raw = api_token_create(actor=Actor.system("bench"), name="bench-graphql", scopes=["jobs:read"])
    return raw


# --- the two endpoints --------------------------------------------------------------------------------------------
@dataclass
class Endpoint:
    label: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    latencies: list[float] = field(default_factory=list)  # seconds, every timed request
    wall: float = 0.0  # seconds, summed over the rounds
    count: int = 0
    expected_length: int = 0  # the first answer's size: every later one must match (the data does not change)
    bad: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else float("nan")

    def pct(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def endpoints(raw_token: str) -> tuple[Endpoint, Endpoint]:
    auth = {"Authorization": f"Bearer {raw_token}", **PROXY_HEADERS}
    graphql = Endpoint(
        "(a) GraphQL  POST /graphql/ jobPostings(first: 50)",
        "POST",
        GRAPHQL_PATH,
        json.dumps({"query": QUERY, "operationName": "Postings"}).encode(),
        {**auth, "Content-Type": "application/json", "Accept": "application/json"},
    )
    baseline = Endpoint(
        "(b) baseline GET /bench/postings/ (.values)",
        "GET",
        BASELINE_PATH,
        None,
        {**auth, "Accept": "application/json"},
    )
    return graphql, baseline


def fetch(conn: http.client.HTTPConnection, endpoint: Endpoint) -> tuple[int, bytes]:
    conn.request(endpoint.method, endpoint.path, body=endpoint.body, headers=endpoint.headers)
    response = conn.getresponse()
    return response.status, response.read()


def expected_document(raw_body: bytes, label: str) -> dict[str, Any]:
    try:
        document = json.loads(raw_body)
    except ValueError:
        sys.exit(f"{label}: the answer is not JSON: {raw_body[:300]!r}")
    if "errors" in document or not document.get("data", {}).get("jobPostings", {}).get("edges"):
        sys.exit(f"{label}: no postings in the answer: {json.dumps(document)[:500]}")
    return document


def compare(graphql_body: bytes, baseline_body: bytes, where: str) -> int:
    """Both answers must be the same JSON document; returns the number of nodes."""
    ours, theirs = expected_document(graphql_body, f"GraphQL ({where})"), expected_document(baseline_body, where)
    if ours != theirs:
        a, b = ours["data"]["jobPostings"]["edges"], theirs["data"]["jobPostings"]["edges"]
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        sys.exit(
            f"The GraphQL answer and the baseline's differ ({where}): {len(a)} vs {len(b)} nodes; first difference at "
            f"node {first}:\n  GraphQL:  {a[first] if first < len(a) else None}\n  "
            f"baseline: {b[first] if first < len(b) else None}"
        )
    return len(ours["data"]["jobPostings"]["edges"])


# --- in-process: correctness, SQL queries, timing, profile ---------------------------------------------------------
class InProcess:
    def __init__(self, raw_token: str) -> None:
        from django.test import Client

        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}", **PROXY_HEADERS}

    def graphql(self, query: str = QUERY) -> Any:
        return self.client.post(
            GRAPHQL_PATH, {"query": query, "operationName": "Postings"}, content_type="application/json",
            headers=self.headers,
        )  # fmt: skip

    def baseline(self) -> Any:
        return self.client.get(BASELINE_PATH, headers=self.headers)


def queries_of(call: Any) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call()
    if response.status_code != 200:
        sys.exit(f"In-process request answered {response.status_code}: {response.content[:300]!r}")
    return [q["sql"] for q in captured.captured_queries]


@dataclass
class InProcessTiming:
    label: str
    call: Any
    ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def in_process_parts(inproc: InProcess, raw_token: str) -> list[InProcessTiming]:
    """Both requests whole, then their parts on their own: where the GraphQL request's extra time goes."""
    from django.conf import settings
    from django.test import RequestFactory
    from django.utils.module_loading import import_string
    from graphene_django.settings import graphene_settings
    from graphql import execute, parse

    from backoffice.events.tokens import authenticate
    from bench.graphql_baseline import FIELDS, PAGE_SIZE
    from jobs.models import JobPosting

    schema = graphene_settings.SCHEMA.graphql_schema
    document = parse(QUERY)
    token = authenticate(f"Bearer {raw_token}")
    middleware_paths = settings.GRAPHENE.get("MIDDLEWARE", [])

    def graphql_execute() -> Any:
        request = RequestFactory().post(GRAPHQL_PATH)
        request.api_token = token  # type: ignore[attr-defined]
        # As the view runs it: the cached document, the scope middleware (instantiated per request).
        middleware = [import_string(path)() for path in middleware_paths]
        result = execute(schema, document, context_value=request, operation_name="Postings", middleware=middleware)
        if result.errors:
            sys.exit(f"execute() failed: {result.errors}")
        return result

    return [
        InProcessTiming("(c) GraphQL request", inproc.graphql),
        InProcessTiming("(d) baseline request", inproc.baseline),
        InProcessTiming(
            "(e)   both: authenticate() (token SELECT + UPDATE)", lambda: authenticate(f"Bearer {raw_token}")
        ),
        InProcessTiming("(f)   GraphQL: execute() of the cached document", graphql_execute),
        InProcessTiming(
            "(g)     of which its ORM query (model instances)",
            lambda: list(JobPosting.objects.select_related("employer").order_by("-created_at", "-id")[: PAGE_SIZE + 1]),
        ),
        InProcessTiming(
            "(h)   baseline: its .values() query",
            lambda: list(JobPosting.objects.order_by("-created_at", "-id").values(*FIELDS)[:PAGE_SIZE]),
        ),
    ]


def time_in_process(parts: list[InProcessTiming], n: int) -> None:
    """n rounds; each round calls every part once, in an order that rotates between rounds. ms and SQL ms."""
    from django.db import connection

    sql_clock = [0.0]

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_clock[0] += time.perf_counter() - started

    with connection.execute_wrapper(timer):
        for i in range(n):
            for part in parts[i % len(parts) :] + parts[: i % len(parts)]:
                sql_clock[0] = 0.0
                started = time.perf_counter()
                response = part.call()
                part.ms.append(1000 * (time.perf_counter() - started))
                part.sql_ms.append(1000 * sql_clock[0])
                if getattr(response, "status_code", 200) != 200:
                    sys.exit(f"{part.label}: answered {response.status_code}")


PROFILE_GROUPS = (
    ("site-packages/graphql/", "graphql-core: execution (parse and validate are cached)"),
    ("site-packages/graphene_django/", "graphene-django: view, field resolvers"),
    ("site-packages/graphene/", "graphene: types, enums, relay"),
    ("site-packages/graphql_relay/", "graphql-relay: global ids, cursors"),
    ("site-packages/django_filters/", "django-filter: a FilterSet per connection"),
    ("site-packages/django/db/", "Django ORM: query building, model instances"),
    # psycopg's C waiting loop is not profiled: its Python caller's own time includes the wait for PostgreSQL.
    ("site-packages/psycopg", "psycopg: driver, row loading, waiting for PostgreSQL"),
    ("site-packages/django/test/", "Django test client (in-process only)"),
    ("site-packages/django/", "Django: request, middleware, response"),
    (f"{ROOT}/backoffice/", "backoffice: view, limits, scope middleware, tokens"),
    (f"{ROOT}/jobs/", "jobs: schema resolvers"),
    ("/copy.py", "copy.deepcopy: FilterSet form fields, QuerySet clones"),
    ("/json/", "json"),
    ("/datetime.py", "datetime"),
)


def profile_graphql(inproc: InProcess, n: int) -> list[str]:
    """cProfile of n in-process GraphQL requests: own time grouped by package, then the top functions."""
    import sysconfig

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        inproc.graphql()
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        if filename == "~":
            label = "built-in functions (isinstance, getattr, dict and str methods ...)"
        else:
            label = next((lbl for part, lbl in PROFILE_GROUPS if part in filename), "other Python")
        groups[label] += tottime
    out = [
        f"profile: {n} GraphQL requests in-process, {1000 * elapsed / n:.2f} ms each under cProfile (which inflates "
        "code made of many small calls most); own time by package:",
    ]
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        out.append(f"  {100 * seconds / total:5.1f} %  {1000 * seconds / n:6.2f} ms/request  {label}")
    prefixes = [(sysconfig.get_paths()["purelib"] + "/", ""), (sysconfig.get_paths()["stdlib"] + "/", ""),
                (str(ROOT) + "/", "")]  # fmt: skip
    for order, count in (("tottime", 18), ("cumulative", 30)):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(count)
        body = buffer.getvalue().splitlines()
        start = next((i for i, line in enumerate(body) if line.lstrip().startswith("ncalls")), 0)
        out += ["", f"  top functions by {'own' if order == 'tottime' else 'cumulative'} time:"]
        for line in body[start:]:
            for prefix, replacement in prefixes:
                line = line.replace(prefix, replacement)
            if line.strip():
                out.append("  " + line)
    return out


# --- gunicorn and the load ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **server_env(), "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "gunicorn", "backoffice.wsgi:application", "--chdir", str(ROOT),
        "--worker-class", "sync", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
        "--error-logfile", str(log_path), "--log-level", "warning",
    ]  # fmt: skip
    log(f"starting gunicorn: {args.workers} sync workers on 127.0.0.1:{port} (log {log_path})")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers=PROXY_HEADERS)
            if conn.getresponse().status == 200:
                conn.close()
                return process
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    sys.exit(f"gunicorn did not answer /healthz within 60 s:\n{log_path.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load(port: int, endpoint: Endpoint, n: int, concurrency: int, *, timed: bool) -> None:
    """n requests by `concurrency` threads, each with its own connection (http.client reconnects by itself when the
    server closes it: gunicorn's sync workers close after every response)."""
    counter = itertools.count()
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = latencies[slot]
        barrier.wait()
        try:
            while next(counter) < n:
                started = time.perf_counter()
                try:
                    status, body = fetch(conn, endpoint)
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    endpoint.bad.append(f"{type(error).__name__}: {error}")
                    continue
                mine.append(time.perf_counter() - started)
                if status != 200 or len(body) != endpoint.expected_length:
                    endpoint.bad.append(f"status {status}, {len(body)} bytes: {body[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(slot,), daemon=True) for slot in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if timed:
        endpoint.wall += elapsed
        endpoint.count += n
        endpoint.latencies.extend(itertools.chain.from_iterable(latencies))


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# --- main ---------------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    setup_django(args)
    import django
    import gunicorn
    from django.core.management import call_command
    from django.db import connection

    log("migrating")
    call_command("migrate", verbosity=0)
    log(f"storing {args.postings:,} postings of {args.employers:,} employers")
    generate_s = generate(args)
    raw_token = create_token()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]

    # In-process first: same document from both, constant SQL, then time and profile without network.
    inproc = InProcess(raw_token)
    in_graphql, in_baseline = inproc.graphql(), inproc.baseline()
    if in_graphql.status_code != 200 or in_baseline.status_code != 200:
        sys.exit(
            f"In-process answers: GraphQL {in_graphql.status_code} {in_graphql.content[:300]!r}, "
            f"baseline {in_baseline.status_code} {in_baseline.content[:300]!r}"
        )
    nodes = compare(in_graphql.content, in_baseline.content, "in-process")
    if nodes != 50:
        sys.exit(f"Expected 50 postings in the answer, got {nodes}")
    queries = {first: queries_of(lambda first=first: inproc.graphql(QUERY_TEMPLATE % first)) for first in (5, 50)}
    baseline_queries = queries_of(inproc.baseline)
    log(f"in-process: the same {nodes} nodes from both; GraphQL queries first: 5 → {len(queries[5])}, "
        f"first: 50 → {len(queries[50])}; timing {args.in_process} requests each")  # fmt: skip
    parts = in_process_parts(inproc, raw_token)
    if args.in_process:
        time_in_process(parts, args.in_process)

    graphql, baseline = endpoints(raw_token)
    workdir = Path(tempfile.mkdtemp(prefix="bench-graphql-"))
    port = free_port()
    server = start_gunicorn(args, port, workdir / "gunicorn.log")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = {}
        for endpoint in (graphql, baseline):
            status, body = fetch(conn, endpoint)
            if status != 200:
                sys.exit(f"{endpoint.label}: gunicorn answered {status}: {body[:300]!r}")
            endpoint.expected_length = len(body)
            answers[endpoint.path] = body
        conn.close()
        compare(answers[GRAPHQL_PATH], answers[BASELINE_PATH], "through gunicorn")
        if answers[GRAPHQL_PATH] and json.loads(answers[GRAPHQL_PATH]) != json.loads(in_graphql.content):
            sys.exit("gunicorn's GraphQL answer differs from the in-process one")
        log(f"warm-up: {args.warmup} requests per endpoint")
        for endpoint in (graphql, baseline):
            load(port, endpoint, args.warmup, args.concurrency, timed=False)
        load_before = os.getloadavg()
        sizes = split(args.requests, args.rounds)
        for number, size in enumerate(sizes):
            order = (graphql, baseline) if number % 2 == 0 else (baseline, graphql)
            for endpoint in order:
                load(port, endpoint, size, args.concurrency, timed=True)
            log(f"round {number + 1}/{len(sizes)}: {size} requests each; so far GraphQL {graphql.rate:,.0f} req/s, "
                f"baseline {baseline.rate:,.0f} req/s")  # fmt: skip
        load_after = os.getloadavg()
    finally:
        stop(server)
    broken = [(e.label, e.bad) for e in (graphql, baseline) if e.bad]
    for label, bad in broken:
        log(f"{label}: {len(bad)} bad answers, first: {bad[0]}")

    ratio = graphql.rate / baseline.rate
    p50_ratio = graphql.pct(50) / baseline.pct(50)
    constant = len(queries[5]) == len(queries[50]) <= MAX_QUERIES
    lines = [
        "",
        "GraphQL API benchmark (bench/graphql.py)",
        f"date:      {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} — {platform.node()}",
        f"software:  PostgreSQL {pg_version}, Django {django.get_version()}, gunicorn {gunicorn.__version__}, "
        f"Python {platform.python_version()}",
        f"machine:   {os.cpu_count()} CPUs (shared by PostgreSQL, gunicorn and the client), load average "
        f"{load_before[0]:.2f} before / {load_after[0]:.2f} after the timed rounds",
        f"data:      {args.postings:,} postings of {args.employers:,} employers, stored in {generate_s:.1f} s",
        f"method:    gunicorn, {args.workers} sync workers; {args.concurrency} client threads (http.client); "
        f"{args.warmup} warm-up + {args.requests:,} timed requests per endpoint",
        f"           in {args.rounds} alternating rounds; latency = client-side, queueing included; p99 = nearest rank",
        "",
    ]
    header = (
        f"{'endpoint':<50} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'× req/s':>8} {'× p50':>6} {'queries':>8} "
        f"{'bytes':>6}"
    )
    lines += [header, "-" * len(header)]
    for endpoint, n_queries, endpoint_ratio, endpoint_p50 in (
        (graphql, len(queries[50]), ratio, p50_ratio),
        (baseline, len(baseline_queries), 1.0, 1.0),
    ):
        lines.append(
            f"{endpoint.label:<50} {endpoint.rate:>7,.0f} {endpoint.pct(50):>7.1f} {endpoint.pct(99):>7.1f} "
            f"{endpoint_ratio:>7.2f}× {endpoint_p50:>5.2f}× {n_queries:>8} {endpoint.expected_length:>6}"
        )
    if args.in_process:
        lines += [
            "",
            f"in-process (Django test client, one thread, no network or WSGI server), median of {args.in_process}:",
        ]
        baseline_ms = parts[1].median
        for part in parts:
            lines.append(
                f"{part.label:<50} {part.median:6.2f} ms  (SQL {statistics.median(part.sql_ms):5.2f} ms)  "
                f"{part.median / baseline_ms:5.2f}× baseline request"
            )
        request, base, _auth, executed, orm, values = (part.median for part in parts)
        lines.append(
            f"GraphQL's extra {request - base:.1f} ms per request: field execution around the ORM query (f − g) "
            f"{executed - orm:.1f} ms, model instances of every column instead of .values() (g − h) {orm - values:.1f} "
            f"ms, the rest of the view (body, limits, JSON) {request - base - (executed - orm) - (orm - values):.1f} ms"
        )
    lines += [
        "",
        f"SQL queries per GraphQL request: first: 5 → {len(queries[5])}, first: 50 → {len(queries[50])} "
        f"(baseline view: {len(baseline_queries)}) — " + ("constant, ≤ 5" if constant else "NOT constant or > 5"),
    ]
    lines += [f"  {i}. {sql[:150]}{'…' if len(sql) > 150 else ''}" for i, sql in enumerate(queries[50], 1)]
    verdict = "PASS" if ratio >= 1 / MAX_RATIO else "FAIL"
    lines.append(
        f"VERDICT: {verdict} — GraphQL serves {graphql.rate:,.0f} req/s, {ratio:.2f}× the baseline's "
        f"{baseline.rate:,.0f} req/s (it is {1 / ratio:.2f}× slower; the claim allows {MAX_RATIO:.0f}×); "
        f"p50 {graphql.pct(50):.1f} ms vs {baseline.pct(50):.1f} ms; {len(queries[50])} SQL queries per request"
    )
    print("\n".join(lines), flush=True)
    if args.profile:
        log(f"profiling {args.profile} in-process GraphQL requests")
        print("\n" + "\n".join(profile_graphql(inproc, args.profile)), flush=True)
    if broken:
        log("FAILED: some answers were not 200 or changed size during the run (see above)")
        return 1
    if not constant:
        log(f"FAILED: SQL queries per request: first: 5 → {len(queries[5])}, first: 50 → {len(queries[50])}")
        return 1
    return 0


def main(argv: Sequence[str]) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
