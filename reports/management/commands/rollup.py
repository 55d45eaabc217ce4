"""``manage.py rollup --from 2026-11-01 --to 2026-11-24``: recompute the report rollups of a date range.

Without dates it runs what the periodic job runs (from the last watermark). Days are recomputed whole and
atomically, so running it while the job runs is safe (the two take turns per day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from backoffice.audit import Actor
from reports import services
from reports.metrics import local_day

MAX_RANGE_DAYS = 3 * 366


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Recompute the daily report rollups for a date range (Asia/Seoul days), or incrementally."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: same as --from)")

    def handle(self, *args: Any, first: str | None, last: str | None, **options: Any) -> None:
        if first is None and last is None:
            summary = services.rollup_incremental()
            self.stdout.write(self.style.SUCCESS(" ".join(f"{k}={v}" for k, v in summary.items())))
            return
        if first is None:
            raise CommandError("--to needs --from.")
        start = _date(first)
        end = _date(last) if last else start
        if end < start:
            raise CommandError(f"--to ({end}) is before --from ({start}).")
        today = local_day(timezone.now())
        if end > today:
            raise CommandError(f"--to ({end}) is after today ({today}, Asia/Seoul): future days have nothing to count.")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise CommandError(f"At most {MAX_RANGE_DAYS} days per run; split the range.")
        result = services.rollup_range(first=start, last=end, actor=Actor.system("manage.py rollup"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up {len(result.days)} day(s) {start}..{end}: {result.rows} rows in {result.duration_ms} ms."
            )
        )
