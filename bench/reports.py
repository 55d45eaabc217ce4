"""Benchmark: the report pages on rollups against the same numbers computed from the raw tables.

Claims under test (issue 7): every report page answers in under 300 ms on PostgreSQL with 1,000,000 postings,
5,000,000 applications and 200,000 cases; a rollup run for one day of that data set finishes in under 30 s.

    .venv/bin/python tests/servers.py -- .venv/bin/python bench/reports.py [--postings 1000000] [...]

``tests/servers.py`` starts a throwaway PostgreSQL (and Redis) and exports ``DATABASE_URL``. The script migrates
it, fills it with ``bench/reports_data.py`` (COPY, a year of history), rolls up the days the pages need, then:

- times the rollup of one day (the busiest recent day) — the 30 s claim;
- times each page (full request through Django's test client as an analyst: middleware, session, admin,
  page builder, SVG charts, template) for the 7-day, 30-day and quarter presets, unfiltered, with a region, a
  region and a category, and an employment type, and prints beside it the time of building the same page from the
  raw tables
  (``reports.selectors.from_source``) in the same run, checked to produce the same tables first.

Figures are printed as milliseconds and as the ratio raw / rollup (this machine is shared and noisy: compare
ratios between runs). Exits non-zero only on errors, never on a FAIL verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Python puts this script's directory first on the path, where bench/graphql.py would shadow the graphql package
# and this file the reports app: the project root instead.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

PAGE_BUDGET_MS = 300.0
ROLLUP_BUDGET_S = 30.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--applications", type=int, default=5_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365, help="days of history the data spreads over")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page variant (median)")
    parser.add_argument("--raw-repeat", type=int, default=1, help="timed raw computations per variant")
    parser.add_argument(
        "--rollup-days",
        type=int,
        default=180,
        help="days rolled up before timing pages (the quarter preset and the quarter before it: 180)",
    )
    parser.add_argument("--allow-any-database", action="store_true")
    return parser.parse_args(argv)


def setup_django(args: argparse.Namespace) -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/reports.py needs a throwaway PostgreSQL in DATABASE_URL; run it through tests/servers.py:\n"
            "  .venv/bin/python tests/servers.py -- .venv/bin/python bench/reports.py"
        )
    if os.environ.get("BACKOFFICE_TEST_SERVERS") != "1" and not args.allow_any_database:
        sys.exit("Refusing to run: this script migrates and fills the database in DATABASE_URL (use tests/servers.py).")
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings_test"
    import django

    django.setup()


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` calls (and the last result)."""
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    setup_django(args)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from backoffice.audit import Actor
    from backoffice.roles import ANALYST
    from bench.reports_data import generate
    from reports import pages, selectors, services
    from reports.metrics import local_day
    from reports.models import DailyRollup

    log("migrating")
    call_command("migrate", interactive=False, verbosity=0)
    today = local_day(dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    counts = generate(
        postings=args.postings, applications=args.applications, cases=args.cases, days=args.days, end=today,
        progress=log,
    )  # fmt: skip
    generate_s = time.perf_counter() - started
    log(f"generated in {generate_s:.0f} s: {counts}")

    # --- rollups ------------------------------------------------------------------------------------------------
    first = today - dt.timedelta(days=args.rollup_days - 1)
    log(f"rolling up {args.rollup_days} days {first}..{today}")
    started = time.perf_counter()
    range_result = services.rollup_range(first=first, last=today, actor=Actor.system("bench"))
    range_s = time.perf_counter() - started
    # The busiest day (most applications) of the last two weeks: the worst case for "one day".
    busiest = max(
        (today - dt.timedelta(days=i) for i in range(1, 15)),
        key=lambda day: selectors.from_rollups(["applications"], day, day).total("applications").value,
    )
    day_samples = []
    for _ in range(3):
        started = time.perf_counter()
        services.rollup_days(days=[busiest], actor=Actor.system("bench"), reason="bench")
        day_samples.append(time.perf_counter() - started)
    day_s = statistics.median(day_samples)
    rows = DailyRollup.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('reports_dailyrollup')")
        rollup_bytes = cursor.fetchone()[0]

    # --- pages --------------------------------------------------------------------------------------------------
    analyst, _ = get_user_model().objects.get_or_create(username="bench-analyst", defaults={"is_staff": True})
    analyst.groups.add(Group.objects.get(name=ANALYST))
    filters = [
        ("none", selectors.Filters(), {}),
        ("region=11", selectors.Filters(region="11"), {"region": "11"}),
        (
            "region=41+category=food_service",
            selectors.Filters(region="41", category="food_service"),
            {"region": "41", "category": "food_service"},
        ),
        # The funnel's per-region and per-category tables under a type filter read the pair grains.
        ("employment_type=part_time", selectors.Filters(employment_type="part_time"), {"employment_type": "part_time"}),
    ]
    presets = [pages.Preset.WEEK, pages.Preset.MONTH, pages.Preset.QUARTER]
    results: list[tuple[str, str, str, float, float]] = []
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts):
        client = Client()
        client.force_login(analyst)
        for slug, builder in pages.PAGES.items():
            for preset in presets:
                for filter_name, filter_value, params in filters:
                    url = f"/admin/reports/{slug}/"
                    query = {"preset": preset, **params}
                    response = client.get(url, query)  # warm-up, and a check
                    if response.status_code != 200:
                        log(f"{url} {query} answered {response.status_code}")
                        return 1
                    page_ms, _ = timed(lambda url=url, query=query: client.get(url, query), args.repeat)
                    period = pages.Period.preset(preset, today)
                    rolled = builder(period, filter_value, source=selectors.from_rollups)
                    raw_ms, raw = timed(
                        lambda period=period, fv=filter_value, build=builder: build(
                            period, fv, source=selectors.from_source
                        ),
                        args.raw_repeat,
                    )
                    if [t.rows for t in rolled.tables()] != [t.rows for t in raw.tables()]:
                        # Today's rollup counts what was overdue or open when it ran; the raw build counts what is
                        # now (minutes later, cases fall due). Recompute today, as the 15-minute job would, then
                        # compare again: a difference left after that is a real one.
                        for table, other in zip(rolled.tables(), raw.tables(), strict=True):
                            if table.rows != other.rows:
                                log(f"{slug} {preset} {filter_name}: table {table.id} differs; recomputing today")
                        services.rollup_days(days=[today], actor=Actor.system("bench"), reason="bench")
                        rolled = builder(period, filter_value, source=selectors.from_rollups)
                        raw = builder(period, filter_value, source=selectors.from_source)
                        if [t.rows for t in rolled.tables()] != [t.rows for t in raw.tables()]:
                            log(f"MISMATCH {slug} {preset} {filter_name}: rollup and raw tables differ")
                            return 1
                    results.append((slug, preset, filter_name, page_ms, raw_ms))
                    log(f"{slug:<11} {preset:<8} {filter_name:<32} page {page_ms:8.1f} ms   raw {raw_ms:10.1f} ms")
        index_ms, _ = timed(lambda: client.get("/admin/"), args.repeat)

    # --- report ---------------------------------------------------------------------------------------------------
    worst = max(page_ms for *_, page_ms, _raw in results)
    print(f"# bench/reports.py — {dt.date.today()}")
    print(
        f"data: {counts.get('postings', args.postings):,} postings, {counts.get('applications', args.applications):,} "
        f"applications, {counts.get('cases', args.cases):,} cases over {args.days} days (generated in "
        f"{generate_s:.0f} s)"
    )
    print(
        f"rollup: {args.rollup_days} days in {range_s:.1f} s ({range_result.rows:,} rows; table {rows:,} rows, "
        f"{rollup_bytes / 2**20:.0f} MiB)"
    )
    verdict = "PASS" if day_s < ROLLUP_BUDGET_S else "FAIL"
    print(f"rollup of one day ({busiest}, the busiest of the last two weeks): {day_s:.2f} s "
          f"(median of 3; budget {ROLLUP_BUDGET_S:.0f} s) {verdict}")  # fmt: skip
    print()
    print(f"{'page':<11} {'period':<8} {'filters':<32} {'page ms':>9} {'raw ms':>10} {'raw/page':>9}  verdict")
    for slug, preset, filter_name, page_ms, raw_ms in results:
        verdict = "PASS" if page_ms < PAGE_BUDGET_MS else "FAIL"
        ratio = raw_ms / page_ms
        print(f"{slug:<11} {preset:<8} {filter_name:<32} {page_ms:9.1f} {raw_ms:10.1f} {ratio:8.1f}×  {verdict}")
    print(f"admin index with the overview: {index_ms:.1f} ms")
    print(
        f"slowest page: {worst:.1f} ms (budget {PAGE_BUDGET_MS:.0f} ms) "
        f"{'PASS' if worst < PAGE_BUDGET_MS else 'FAIL'}; page = median of {args.repeat} full requests, "
        f"raw = the same page built from the source tables ({args.raw_repeat}×), tables checked equal"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
