"""Benchmark: the review queue (/admin/moderation/case/) with N open cases on PostgreSQL.

Claim under test: "the review-queue page answers in under 300 ms with 100,000 open cases on PostgreSQL".

    .venv/bin/python tests/servers.py -- .venv/bin/python bench/queue_page.py [--cases 100000] [--repeat 15]

``tests/servers.py`` starts a throwaway PostgreSQL and Redis and exports ``DATABASE_URL`` / ``REDIS_URL``. This
script migrates that database, fills it with generated rows (``INSERT ... SELECT generate_series``), then
times full requests through Django's test client (middleware, session, admin, template rendering; no
network) as a logged-in superuser. Every figure is printed beside a plain Django admin changelist of the same
table timed in the same run (``bench/urls_bench.py``), because this machine is shared and noisy: compare
ratios between runs, read milliseconds as context.

Exits non-zero only on errors (no database, a page that does not answer 200 ...), never on a FAIL verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MS = 300.0
QUEUE_URL = "/admin/moderation/case/"
BASELINE_URL = "/benchadmin/moderation/case/"
# --filters all: the rest of the queue's list filters (district 11680 is 서울 강남구).
EXTRA_FILTERS = (
    "?assignee=others",
    "?sla=overdue",
    "?sla=due_1h",
    "?district=11680",
    "?category=retail",
    "?primary_reason__exact=scam",
    "?is_appeal__exact=1",
    "?queue=open",
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000, help="open cases, one per posting (default 100000)")
    parser.add_argument("--employers", type=int, default=None, help="employers (default: cases / 10)")
    parser.add_argument(
        "--resolved", type=int, default=0, help="extra resolved (historical) cases on the same postings (default 0)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first (default 3)")
    parser.add_argument("--seed", type=float, default=0.42, help="PostgreSQL setseed() value, in [-1, 1]")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MS, help="the claim's budget (default 300)")
    parser.add_argument(
        "--filters",
        choices=["some", "all"],
        default="some",
        help="queue variants: 'some' (band 4, unclaimed, page 3) or 'all' (every list filter)",
    )
    parser.add_argument(
        "--synchronize-seqscans",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL's synchronize_seqscans for the timed requests. 'on' (the default) lets a sequential scan "
        "start where the previous one stopped, so a LIMITed scan is sometimes lucky; 'off' starts every scan at "
        "the first block: the repeatable worst case (matters with --resolved)",
    )
    parser.add_argument("--show-queries", action="store_true", help="print every SQL query of each page")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the slowest query of each page"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile N extra requests of the queue page, print top 40"
    )
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="run although BACKOFFICE_TEST_SERVERS is not set (the script migrates and INSERTs: never production)",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1 or args.warmup < 0 or args.resolved < 0:
        parser.error("--cases and --repeat must be positive, --warmup and --resolved not negative")
    if args.employers is None:
        args.employers = max(1, args.cases // 10)
    return args


def setup_django(args: argparse.Namespace) -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/queue_page.py needs a throwaway PostgreSQL in DATABASE_URL; run it through tests/servers.py:\n"
            "  .venv/bin/python tests/servers.py -- .venv/bin/python bench/queue_page.py"
        )
    if os.environ.get("BACKOFFICE_TEST_SERVERS") != "1" and not args.allow_any_database:
        sys.exit(
            "Refusing to run: this script migrates the database in DATABASE_URL and inserts ~3 rows per case.\n"
            "Run it through tests/servers.py (throwaway servers), or pass --allow-any-database for a scratch database."
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings_test"
    import django

    django.setup()


# --- data ---------------------------------------------------------------------------------------------------
def insert_select(model: Any, values: dict[str, str], from_sql: str, params: Sequence[Any] = ()) -> int:
    """INSERT INTO <model's table> (<columns>) SELECT <expressions> FROM <from_sql>; returns the row count.

    ``values`` maps field names to SQL expressions. No column has a database default (Django keeps defaults
    in Python), so every NOT NULL column must be given: a missing one is reported here by name."""
    from django.db import connection

    opts = model._meta
    missing = [f.name for f in opts.concrete_fields if not f.null and not f.primary_key and f.name not in values]
    if missing:
        raise RuntimeError(f"{opts.label}: no value for NOT NULL column(s) {', '.join(missing)}")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(opts.get_field(name).column) for name in values)
    expressions = ",\n  ".join(values.values())
    sql = f"INSERT INTO {qn(opts.db_table)} ({columns})\nSELECT\n  {expressions}\nFROM {from_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def timed(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    log(f"{label}: {time.perf_counter() - start:.1f} s" + (f" ({result:,} rows)" if isinstance(result, int) else ""))
    return result


def generate(args: argparse.Namespace) -> tuple[Any, float]:
    """Employers, one posting and one open case per posting, reports, a superuser and five moderators."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from jobs.models import Category, Employer, EmploymentType, JobPosting, PostingStatus, VerificationStatus
    from jobs.regions import REGIONS
    from moderation.models import Case, CaseStatus, DecisionAction, Report, ReportReason, ReportStatus, TargetKind

    if Employer.objects.exists() or Case.objects.exists():
        sys.exit("The database already holds employers or cases: the benchmark needs an empty, freshly migrated one.")

    # tests/servers.py runs PostgreSQL with synchronous_commit=off (PostgreSQL's default, and production's, is
    # on). Then VACUUM right after the load cannot set hint bits on rows whose commit is not yet flushed,
    # leaves every page not all-visible, and the planner costs index-only scans as heap scans: plans unlike
    # production's. Commit synchronously in this session.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    started = time.perf_counter()
    user_model = get_user_model()
    superuser = user_model.objects.create_superuser("bench-admin", "bench-admin@example.com", "bench-admin-password")
    moderator_names = [f"bench-mod-{i}" for i in range(1, 6)]
    for name in moderator_names:
        user_model.objects.create_user(name, f"{name}@example.com", "bench-moderator-password", is_staff=True)

    regions = sorted(REGIONS)
    employer_t, posting_t = Employer._meta.db_table, JobPosting._meta.db_table
    case_t, user_t = Case._meta.db_table, user_model._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [args.seed])
        timed(
            "employers",
            lambda: insert_select(
                Employer,
                {
                    "created_at": "now() - make_interval(days => mod(g, 365))",
                    "updated_at": "now()",
                    "external_id": "'bench-e-' || g",
                    "business_name": "'행복식당 ' || g || '호점'",
                    "business_number": "(1000000000 + g)::text",
                    "phone": "'02-555-0100'",
                    "region_code": "(%s::text[])[1 + mod(g, %s)]",
                    "verification_status": "CASE WHEN mod(g, 3) = 0 THEN %s ELSE %s END",
                    "account_status": "'active'",
                },
                "generate_series(1, %s) AS g",
                [regions, len(regions), VerificationStatus.VERIFIED, VerificationStatus.UNVERIFIED, args.employers],
            ),
        )
        timed(
            "postings",
            lambda: insert_select(
                JobPosting,
                {
                    "created_at": "now() - make_interval(hours => mod(g, 720))",
                    "updated_at": "now()",
                    "external_id": "'bench-p-' || g",
                    "employer": "emp.ids[1 + mod(g, array_length(emp.ids, 1))]",
                    "title": "'주말 홀서빙 알바 ' || g",
                    "description": "'역삼역 근처 식당에서 주말 홀서빙 하실 분을 찾습니다. 식사 제공. 공고 ' || g",
                    "employment_type": "(%s::text[])[1 + mod(g, %s)]",
                    "wage_type": "'hourly'",
                    "wage_amount": "10030 + mod(g, 50) * 100",
                    "hours_per_week": "8 + mod(g, 33)",
                    "region_code": "(%s::text[])[1 + mod(g * 7, %s)]",
                    "category": "(%s::text[])[1 + mod(g, %s)]",
                    "status": "%s",
                    "status_changed_at": "now()",
                    "published_at": "now() - make_interval(hours => mod(g, 720))",
                    "expires_at": "now() + interval '14 days'",
                    "close_reason": "''",
                    "content_fingerprint": "md5('bench-posting-' || g)",
                    "application_count": "mod(g, 40)",
                },
                f"generate_series(1, %s) AS g, (SELECT array_agg(id ORDER BY id) AS ids FROM {employer_t}) AS emp",
                [
                    list(EmploymentType.values),
                    len(EmploymentType.values),
                    regions,
                    len(regions),
                    list(Category.values),
                    len(Category.values),
                    PostingStatus.PUBLISHED,
                    args.cases,
                ],
            ),
        )
        # Resolved history first, open cases after: on disk the backlog sits behind the history, as in
        # production where the newest cases are the open ones. (Seq scans with a LIMIT notice the difference.)
        if args.resolved:
            timed(
                "resolved cases",
                lambda: insert_select(
                    Case,
                    {
                        "target_kind": "%s",
                        "target_key": "%s || ':' || p.ids[1 + mod(g, array_length(p.ids, 1))]",
                        "posting": "p.ids[1 + mod(g, array_length(p.ids, 1))]",
                        "status": "%s",
                        "band": "1 + mod(g, 4)",
                        "score": "mod(g, 100)",
                        "opened_at": "now() - interval '8 days' - make_interval(hours => mod(g, 24 * 180))",
                        "due_at": "now() - interval '7 days' - make_interval(hours => mod(g, 24 * 180))",
                        "resolved_at": "now() - interval '7 days' - make_interval(hours => mod(g, 24 * 180))",
                        "version": "3",
                        "is_appeal": "false",
                        "auto_hidden": "false",
                        "primary_reason": "(%s::text[])[1 + mod(g, %s)]",
                        "region_code": "'1168010100'",
                        "category": "'food_service'",
                        "report_count": "0",
                        "reporter_count": "0",
                        "hit_count": "0",
                        "last_decision_action": "CASE WHEN mod(g, 3) = 0 THEN %s ELSE %s END",
                    },
                    f"generate_series(1, %s) AS g, (SELECT array_agg(id ORDER BY id) AS ids FROM {posting_t}) AS p",
                    [
                        TargetKind.POSTING,
                        TargetKind.POSTING,
                        CaseStatus.RESOLVED,
                        list(ReportReason.values),
                        len(ReportReason.values),
                        DecisionAction.REMOVE,
                        DecisionAction.APPROVE,
                        args.resolved,
                    ],
                ),
            )
        # One unresolved case per posting. Bands 4/3/2/1 at 10/20/30/40 %, 2 % escalated, 5 % under a live
        # claim and 2 % under a lapsed one, opened over the last 7 days, due from 24 h ago to 24 h ahead.
        timed(
            "open cases",
            lambda: insert_select(
                Case,
                {
                    "target_kind": "%s",
                    "target_key": "%s || ':' || c.id",
                    "posting": "c.id",
                    "status": "CASE WHEN mod(c.n, 50) = 0 THEN %s ELSE %s END",
                    "band": "c.band",
                    "score": (
                        "CASE c.band WHEN 4 THEN 80 + 20 * c.rs WHEN 3 THEN 50 + 30 * c.rs "
                        "WHEN 2 THEN 25 + 25 * c.rs ELSE 25 * c.rs END"
                    ),
                    "opened_at": "now() - c.ro * interval '7 days'",
                    "due_at": "now() + (c.rd * 48 - 24) * interval '1 hour'",
                    "escalated_at": "CASE WHEN mod(c.n, 50) = 0 THEN now() - interval '1 hour' END",
                    "version": "1",
                    "claimed_by": "CASE WHEN c.rc < 0.07 THEN mods.ids[1 + mod(c.n, array_length(mods.ids, 1))] END",
                    "claimed_at": "CASE WHEN c.rc < 0.07 THEN now() - interval '5 minutes' END",
                    "claim_expires_at": (
                        "CASE WHEN c.rc < 0.05 THEN now() + interval '2 hours' "
                        "WHEN c.rc < 0.07 THEN now() - interval '1 hour' END"
                    ),
                    "is_appeal": "mod(c.n, 100) = 7",
                    "auto_hidden": "c.band = 4 AND c.rs > 0.5",
                    "primary_reason": "(%s::text[])[1 + mod(c.n, %s)]",
                    "region_code": "c.region_code",
                    "category": "c.category",
                    "report_count": "CASE WHEN mod(c.n, 10) = 0 THEN 2 ELSE 0 END",
                    "reporter_count": "CASE WHEN mod(c.n, 10) = 0 THEN 2 ELSE 0 END",
                    "hit_count": "0",
                    "last_decision_action": "''",
                },
                f"""(
                    SELECT s.*, CASE WHEN s.rb < 0.10 THEN 4 WHEN s.rb < 0.30 THEN 3 WHEN s.rb < 0.60 THEN 2
                                     ELSE 1 END AS band
                    FROM (SELECT p.id, p.region_code, p.category, row_number() OVER (ORDER BY p.id) AS n,
                                 random() AS rb, random() AS rs, random() AS ro, random() AS rd, random() AS rc
                          FROM {posting_t} AS p) AS s
                ) AS c,
                (SELECT array_agg(id ORDER BY id) AS ids FROM {user_t} WHERE username = ANY(%s)) AS mods""",
                [
                    TargetKind.POSTING,
                    TargetKind.POSTING,
                    CaseStatus.ESCALATED,
                    CaseStatus.OPEN,
                    list(ReportReason.values),
                    len(ReportReason.values),
                    moderator_names,
                ],
            ),
        )
        timed(
            "reports",
            lambda: insert_select(
                Report,
                {
                    "target_kind": "c.target_kind",
                    "target_key": "c.target_key",
                    "posting": "c.posting_id",
                    "external_id": "'bench-r-' || c.id || '-' || k",
                    "reporter_kind": "'seeker'",
                    "reporter_external_id": "'s-' || lpad(mod(c.id * 7 + k, 20000)::text, 6, '0')",
                    "reason": "CASE WHEN c.primary_reason = '' THEN 'other' ELSE c.primary_reason END",
                    "text": "'급여가 최저임금보다 낮아요.'",
                    "status": "%s",
                    "case": "c.id",
                    "filed_at": "c.opened_at + k * interval '1 minute'",
                },
                f"{case_t} AS c, generate_series(1, c.report_count) AS k WHERE c.report_count > 0",
                [ReportStatus.OPEN],
            ),
        )
    # Outside the transaction: VACUUM cannot run inside one. A production table is vacuumed and analysed by
    # autovacuum; a freshly loaded one is not, so do it now (visibility map for index-only scans, statistics).
    tables = [Employer._meta.db_table, JobPosting._meta.db_table, Case._meta.db_table, Report._meta.db_table]

    def vacuum() -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")

    timed("VACUUM ANALYZE", vacuum)
    return superuser, time.perf_counter() - started


def row_counts() -> dict[str, int]:
    from django.db.models import Q
    from django.utils import timezone

    from jobs.models import Employer, JobPosting
    from moderation.models import Case, CaseStatus, Report

    now = timezone.now()
    return {
        "employers": Employer.objects.count(),
        "postings": JobPosting.objects.count(),
        "cases": Case.objects.count(),
        "unresolved cases": Case.objects.exclude(status=CaseStatus.RESOLVED).count(),
        "  of which escalated": Case.objects.filter(status=CaseStatus.ESCALATED).count(),
        "  of which band 4 (urgent)": Case.objects.exclude(status=CaseStatus.RESOLVED).filter(band=4).count(),
        "  of which under a live claim": Case.objects.exclude(status=CaseStatus.RESOLVED)
        .filter(Q(claimed_by__isnull=False, claim_expires_at__gt=now))
        .count(),
        "reports": Report.objects.count(),
    }


# --- measuring ----------------------------------------------------------------------------------------------
@dataclass
class Target:
    key: str
    label: str
    url: str | None = None  # a page; None for an in-process callable
    call: Callable[[], Any] | None = None
    times_ms: list[float] = field(default_factory=list)
    queries: list[tuple[str, Any, float]] = field(default_factory=list)  # (sql, params, ms)
    rows: int | None = None
    size_kb: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        # Nearest rank: with 15 runs this is the slowest one.
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def sql_ms(self) -> float:
        return sum(ms for _sql, _params, ms in self.queries)


class QueryRecorder:
    """Every query with its parameters and its own duration (perf_counter; Django's debug cursor rounds to ms)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any, float]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, (time.perf_counter() - start) * 1000))


def result_rows(html: str) -> int:
    """Rows of the changelist's result table (header row excluded); 0 when the page has no results table."""
    start = html.find('id="result_list"')
    if start < 0:
        return 0
    end = html.find("</table>", start)
    return max(0, html.count("<tr", start, end) - 1)


def run(args: argparse.Namespace) -> int:
    setup_django(args)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from moderation import selectors
    from moderation.models import Case, CaseStatus

    log(f"database {settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}")
    timed("migrate", lambda: call_command("migrate", interactive=False, verbosity=0))
    superuser, generate_s = generate(args)
    counts = row_counts()

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size(oid)), pg_size_pretty(pg_relation_size('case_queue_idx')),"
            " round(100.0 * relallvisible / greatest(relpages, 1)) FROM pg_class WHERE oid = %s::regclass",
            [Case._meta.db_table],
        )
        case_table_size, queue_index_size, all_visible_pct = cursor.fetchone()
        case_table_size = f"{case_table_size} ({all_visible_pct}% of pages all-visible)"

    def queue_slice() -> None:
        list(selectors.queue()[:50])

    def backlog_uncached() -> None:
        Case.objects.exclude(status=CaseStatus.RESOLVED).count()

    targets = [
        Target("a", f"(a) queue {QUEUE_URL}", url=QUEUE_URL),
        Target("b1", "(b) queue ?band__exact=4", url=f"{QUEUE_URL}?band__exact=4"),
        Target("b2", "(b) queue ?assignee=unclaimed", url=f"{QUEUE_URL}?assignee=unclaimed"),
        Target("b3", "(b) queue ?p=3", url=f"{QUEUE_URL}?p=3"),
        *(
            [
                Target(f"b{i}", f"(b) queue {query}", url=f"{QUEUE_URL}{query}")
                for i, query in enumerate(EXTRA_FILTERS, start=4)
            ]
            if args.filters == "all"
            else []
        ),
        Target("c", f"(c) baseline {BASELINE_URL}", url=BASELINE_URL),
        Target("d", "(d) list(selectors.queue()[:50])", call=queue_slice),
        Target("e", "(e) backlog COUNT(*), uncached", call=backlog_uncached),
    ]
    pages = [t for t in targets if t.url]

    with connection.cursor() as cursor:
        name = connection.ops.quote_name(settings.DATABASES["default"]["NAME"])
        cursor.execute(f"ALTER DATABASE {name} SET synchronize_seqscans = {args.synchronize_seqscans}")
    connection.close()  # the next connection reads the database's settings

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ROOT_URLCONF="bench.urls_bench", ALLOWED_HOSTS=hosts):
        client = Client()
        client.force_login(superuser)

        def hit(target: Target) -> Any:
            if target.call is not None:
                return target.call()
            response = client.get(target.url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {target.url} answered {response.status_code}, not 200")
            return response

        log(f"warm-up: {args.warmup} request(s) per page")
        for target in targets:
            for _ in range(args.warmup):
                hit(target)
        # Queries are recorded in one extra, untimed request, so the recording costs nothing to the timings.
        # The backlog count is cached for 15 s; fill the cache so every page is captured in its usual state.
        selectors.backlog_count()
        for target in targets:
            recorder = QueryRecorder()
            with connection.execute_wrapper(recorder):
                response = hit(target)
            target.queries = recorder.queries
            if target.url:
                html = response.content.decode()
                target.rows = result_rows(html)
                target.size_kb = len(response.content) / 1024
                if target.rows == 0:
                    raise RuntimeError(f"GET {target.url} shows no result rows: not the page meant to be timed")
        log(f"timing: {args.repeat} round(s), each page once per round, rotating the order")
        load_before = os.getloadavg()
        for round_no in range(args.repeat):
            shift = round_no % len(targets)
            for target in targets[shift:] + targets[:shift]:
                start = time.perf_counter()
                hit(target)
                target.times_ms.append((time.perf_counter() - start) * 1000)
        load_after = os.getloadavg()
        profile_text = profile_queue(client, args.profile) if args.profile else ""

    baseline = next(t for t in targets if t.key == "c")
    queue = next(t for t in targets if t.key == "a")
    print_report(
        args,
        targets,
        baseline,
        queue,
        counts,
        pg_version,
        case_table_size,
        queue_index_size,
        generate_s,
        load_before,
        load_after,
    )

    if profile_text:
        print(f"\n--- cProfile of {args.profile} request(s) to {QUEUE_URL}, by cumulative time")
        print(profile_text)
    if args.show_queries or args.explain:
        for target in pages + [t for t in targets if not t.url]:
            print(f"\n--- {target.label}: {len(target.queries)} queries, {target.sql_ms:.1f} ms in SQL")
            if args.show_queries:
                for sql, params, ms in target.queries:
                    print(f"  {ms:7.2f} ms  {sql[:400]}  {params!r:.200}")
            if args.explain and target.queries:
                sql, params, ms = max(target.queries, key=lambda q: q[2])
                print(f"  slowest ({ms:.2f} ms): {sql[:3000]}  {params!r:.300}")
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    for (line,) in cursor.fetchall():
                        print(f"    {line}")
    return 0


def profile_queue(client: Any, requests: int) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(QUEUE_URL)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(40)
    out.write("--- the project's own functions in those requests\n")
    stats.print_stats(f"{ROOT}/(backoffice|jobs|moderation|reports|templates)/", 30)
    return out.getvalue()


def print_report(
    args: argparse.Namespace,
    targets: list[Target],
    baseline: Target,
    queue: Target,
    counts: dict[str, int],
    pg_version: str,
    case_table_size: str,
    queue_index_size: str,
    generate_s: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    import django

    print()
    print("Review-queue page benchmark (bench/queue_page.py)")
    print(f"date:        {dt.date.today().isoformat()}")
    print(f"software:    PostgreSQL {pg_version}, Django {django.get_version()}, Python {platform.python_version()}")
    print(
        f"machine:     {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / {load_after[0]:.2f} after"
        " the timed rounds"
    )
    print(
        f"data:        generated in {generate_s:.1f} s; case table {case_table_size}, case_queue_idx {queue_index_size}"
    )
    for name, value in counts.items():
        print(f"  {name:<30} {value:>10,}")
    print(
        f"method:      {args.warmup} warm-up + {args.repeat} timed requests per page, interleaved; "
        f"synchronize_seqscans={args.synchronize_seqscans}"
    )
    print("             Django test client as a superuser (full middleware/admin/templates, no network);")
    print("             queries recorded in one extra untimed request; p95 = nearest rank")
    print()
    header = (
        f"{'page':<45} {'min ms':>7} {'median ms':>10} {'p95 ms':>9} {'× baseline':>11} {'queries':>8} {'SQL ms':>8} "
        f"{'rows':>5}"
    )
    print(header)
    print("-" * len(header))
    for t in targets:
        ratio = t.median / baseline.median if baseline.median else float("nan")
        rows = "" if t.rows is None else str(t.rows)
        print(
            f"{t.label:<45} {min(t.times_ms):>7.1f} {t.median:>10.1f} {t.p95:>9.1f} {ratio:>10.2f}× "
            f"{len(t.queries):>8} {t.sql_ms:>8.1f} {rows:>5}"
        )
    print()
    verdict = "PASS" if queue.median < args.budget_ms else "FAIL"
    print(
        f"VERDICT: {verdict} — queue page median {queue.median:.1f} ms "
        f"{'<' if verdict == 'PASS' else '>='} {args.budget_ms:.0f} ms with {counts['unresolved cases']:,} "
        f"unresolved cases ({queue.median / baseline.median:.2f}× the plain changelist's {baseline.median:.1f} ms, "
        "same run)"
    )
    worst = max((t for t in targets if t.url and t.key != "c"), key=lambda t: t.median)
    print(
        f"         slowest queue variant: {worst.label.strip()} at {worst.median:.1f} ms median, {worst.p95:.1f} ms p95"
    )


def main(argv: Sequence[str]) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
