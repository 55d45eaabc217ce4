"""Benchmark: screening-rule evaluation throughput for the default rule set.

Claim under test: "Rule evaluation: at least 2,000 postings/s per core for the default rule set".

    .venv/bin/python bench/rules.py [--postings 5000] [--repeat 5] [--seed 7]

No database: ~5,000 realistic postings are generated in memory with the demo generator (``jobs.demo``, the
same text ``make demo`` seeds: honest postings, the phrases that only look bad, and ~8 % rule-breaking ones
of every clause, labelled), turned into ``PostingView``s with each employer's history, and the default rules
of migration ``moderation.0005`` are evaluated on one core. Every repetition starts from fresh views, so each
posting is normalised (and its duplicate sketch computed) once per repetition, shared by all rules — as in
screening.

The baseline, timed in the same run over the same texts: one compiled ``re.search`` for a phone number on
title and description. Compare the ratio between runs; read postings/s as context (the machine is shared).
The labels also give each rule's hits on its own clause and on honest postings (false flags), a precision
check that costs nothing extra. Exits non-zero only on errors, never on a FAIL verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import math
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings_test")

TARGET_PER_SECOND = 2_000
# The demo's violation labels and the clause whose rules should catch them.
LABEL_CLAUSE = {
    "min_wage": "P2-min-wage",
    "contact": "P4-off-platform",
    "discrimination": "P3-discrimination",
    "duplicate": "P7-duplicate-spam",
    "phishing": "P5-crime-recruitment",
    "fees": "P6-fees",
    "false_ad": "P1-false-ad",
    "harmful": "P8-harmful-business",
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=5_000, help="generated postings (default 5000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--seed", type=int, default=7, help="demo generator seed (default 7)")
    return parser.parse_args(argv)


def generate(postings: int, seed: int) -> list[Any]:
    from jobs.demo import FALLBACK_MINIMUM_WAGE, _Generator

    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    generator = _Generator(seed=seed, now=now, table=FALLBACK_MINIMUM_WAGE)
    generator.make_employers(max(20, math.ceil(postings / 8)))
    generator.make_postings(postings)
    generator.order_postings_by_creation()
    return generator.postings


def build_views(rows: Sequence[Any]) -> list[Any]:
    """Fresh views (no cached normalisation or sketches) with each employer's history shared by its views."""
    from zoneinfo import ZoneInfo

    from jobs.demo import FALLBACK_MINIMUM_WAGE
    from moderation.rules import EmployerHistory, HistoryEntry, PostingView

    seoul = ZoneInfo("Asia/Seoul")
    created = [dt.datetime.fromtimestamp(row.created_at, dt.UTC) for row in rows]
    entries: dict[int, list[HistoryEntry]] = defaultdict(list)
    for index, row in enumerate(rows):
        entries[row.employer_index].append(
            HistoryEntry(index + 1, created[index], row.status, row.external_id, row.title, row.description)
        )
    histories = {employer: EmployerHistory(items) for employer, items in entries.items()}
    views = []
    for index, row in enumerate(rows):
        judged = dt.datetime.fromtimestamp(row.published_at or row.created_at, seoul).date()
        views.append(
            PostingView(
                title=row.title,
                description=row.description,
                employment_type=row.employment_type,
                wage_type=row.wage_type,
                wage_amount=row.wage_amount,
                created_at=created[index],
                judged_on=judged,
                posting_id=index + 1,
                employer_id=row.employer_index,
                hours_per_week=row.hours_per_week,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                wage_table=FALLBACK_MINIMUM_WAGE,
                history=histories[row.employer_index],
            )
        )
    return views


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started
    finally:
        gc.enable()


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    import django

    django.setup()
    from moderation.rules import compile_rule

    defaults = importlib.import_module("moderation.migrations.0005_default_rules").DEFAULT_RULES
    rules = [(row, compile_rule(row["kind"], row["config"])) for row in defaults]
    log(f"generating {args.postings} postings (seed {args.seed}) …")
    rows = generate(args.postings, args.seed)
    n = len(rows)
    texts = [(row.title, row.description) for row in rows]
    baseline_re = re.compile(r"01[016789][-\s.]?\d{3,4}[-\s.]?\d{4}")

    def baseline() -> None:
        search = baseline_re.search
        for title, description in texts:
            search(title) or search(description)

    def all_rules(views: list[Any]) -> Callable[[], None]:
        evaluators = [evaluator for _row, evaluator in rules]

        def run() -> None:
            for view in views:
                for evaluator in evaluators:
                    evaluator.evaluate(view)

        return run

    baseline_times, rule_times = [], []
    for round_index in range(args.repeat + 1):
        views = build_views(rows)  # fresh: nothing cached from the previous round
        b = timed(baseline)
        r = timed(all_rules(views))
        if round_index:  # the first round warms caches (regex compilation, imports)
            baseline_times.append(b)
            rule_times.append(r)

    # Per-rule cost with the shared normalisation already done (so it is not charged to the first rule).
    per_rule: list[tuple[str, float]] = []
    views = build_views(rows)
    normalise = timed(lambda: [(f.clean, f.compact, f.digits) for v in views for f in v.fields])
    sketches = timed(lambda: [v.sketch for v in views] + [e.sketch for v in views for e in v.history.entries])
    for row, evaluator in rules:
        per_rule.append((row["name"], timed(lambda e=evaluator: [e.evaluate(v) for v in views])))

    # Precision against the generator's labels (one more pass, not timed).
    hits_by_rule: dict[str, Counter[str]] = {}
    for row, evaluator in rules:
        counts: Counter[str] = Counter()
        for view, posting in zip(views, rows, strict=True):
            if evaluator.evaluate(view) is not None:
                counts["hits"] += 1
                label = posting.violation
                if not label:
                    counts["honest"] += 1
                elif LABEL_CLAUSE[label] == row["clause"]:
                    counts["own"] += 1
        hits_by_rule[row["name"]] = counts
    labels = Counter(row.violation for row in rows)
    caught_by_clause: dict[str, set[int]] = defaultdict(set)
    for row, evaluator in rules:
        for index, view in enumerate(views):
            label = rows[index].violation
            if label and LABEL_CLAUSE[label] == row["clause"] and evaluator.evaluate(view) is not None:
                caught_by_clause[row["clause"]].add(index)

    base_median = statistics.median(baseline_times)
    rule_median = statistics.median(rule_times)
    rate = n / rule_median
    base_rate = n / base_median
    print(
        f"machine: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}; one core (single thread)"
    )
    print(
        f"corpus: {n} demo postings, {n - labels['']} labelled rule-breaking, {len(rules)} default rules, "
        f"median of {args.repeat} runs\n"
    )
    print(f"{'what':<58} {'median s':>9} {'postings/s':>12} {'× baseline':>11}")
    print("-" * 93)
    print(
        f"{'(a) default rule set, all rules per posting':<58} {rule_median:>9.3f} {rate:>12,.0f} "
        f"{rule_median / base_median:>10.1f}×"
    )
    print(
        f"{'(b) baseline: one compiled re.search (phone) per posting':<58} {base_median:>9.4f} {base_rate:>12,.0f} "
        f"{1:>10.1f}×"
    )
    print(
        f"{'(c) normalisation alone (clean, compact, digits views)':<58} {normalise:>9.3f} "
        f"{n / normalise:>12,.0f} {normalise / base_median:>10.1f}×"
    )
    print(
        f"{'(d) duplicate sketches alone (postings + histories)':<58} {sketches:>9.3f} "
        f"{n / sketches:>12,.0f} {sketches / base_median:>10.1f}×"
    )
    print("\nper rule, normalisation and sketches already done (one pass, µs per posting):")
    for name, seconds in per_rule:
        print(f"  {name:<52} {seconds / n * 1e6:>8.1f} µs")
    print("\nhits against the generator's labels (own = the rule's clause; honest = postings breaking nothing):")
    print(f"  {'rule':<52} {'hits':>6} {'own':>6} {'honest':>7}")
    for row, _evaluator in rules:
        counts = hits_by_rule[row["name"]]
        print(f"  {row['name']:<52} {counts['hits']:>6} {counts['own']:>6} {counts['honest']:>7}")
    print("\nrecall per clause (labelled postings caught by any rule of their clause):")
    for label, clause in LABEL_CLAUSE.items():
        total = labels[label]
        caught = len(caught_by_clause[clause])
        print(f"  {label:<16} {clause:<22} {caught:>5} / {total:<5} {caught / total if total else 0:>6.0%}")
    verdict = "PASS" if rate >= TARGET_PER_SECOND else "FAIL"
    print(
        f"\nVERDICT: {verdict} — {rate:,.0f} postings/s on one core for the default rule set "
        f"({'≥' if rate >= TARGET_PER_SECOND else '<'} {TARGET_PER_SECOND:,}/s); "
        f"{rule_median / base_median:.0f}× the time of one regex search per posting (same run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
