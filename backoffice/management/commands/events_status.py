"""``manage.py events_status [--json]``: the event pipeline's status, as on the admin page, for scripts.

Exit code 0 normally; 2 when Redis is configured (``REDIS_URL``) but unreachable (the database figures are
still printed, so a script sees both the failure and the backlog).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from backoffice.events.monitoring import PipelineStatus, format_age, pipeline_status, redis_client_from_settings

EXIT_REDIS_UNREACHABLE = 2


class Command(BaseCommand):
    help = "The event pipeline's status: stream lag, pending, consumers, throughput, parked, dead letters, outbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="machine-readable output (one JSON object)")

    def handle(self, *args: Any, **options: Any) -> None:
        client = redis_client_from_settings()
        try:
            status = pipeline_status(client)
        finally:
            if client is not None:
                client.close()
        if options["json"]:
            self.stdout.write(json.dumps(status.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(status))
        if status.redis.configured and status.redis.error:
            self.stderr.write(f"Redis is unreachable: {status.redis.error}")
            sys.exit(EXIT_REDIS_UNREACHABLE)


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded).rstrip()

    return ["  " + line(headers), "  " + "  ".join("-" * w for w in widths), *("  " + line(r) for r in rows)]


def render_text(status: PipelineStatus) -> str:
    out: list[str] = []
    local = timezone.localtime(status.generated_at)
    out.append(f"Event pipeline status at {local:%Y-%m-%d %H:%M:%S %Z}")
    out.append("")
    redis = status.redis
    if not redis.configured:
        out.append("Redis: not configured (REDIS_URL unset); events arrive over HTTP (POST /events/).")
    elif redis.error:
        out.append(f"Redis: UNREACHABLE at {redis.url}: {redis.error}")
    else:
        out.append(f"Redis: {redis.url}")
        out.extend(
            _table(
                ["stream", "entries", "last id", "last entry age", "groups"],
                [
                    [
                        s.name,
                        f"{s.length:,}" if s.exists else "(none)",
                        s.last_generated_id or "-",
                        s.last_entry_age_text,
                        str(len(s.groups)),
                    ]
                    for s in redis.streams
                ],
                right={1, 3, 4},
            )
        )
        groups = [(s, g) for s in redis.streams for g in s.groups]
        if groups:
            out.append("")
            out.extend(
                _table(
                    ["stream", "group", "lag", "pending", "oldest pending", "consumers alive"],
                    [
                        [
                            s.name,
                            g.name,
                            "?" if g.lag is None else f"{g.lag:,}",
                            f"{g.pending:,}",
                            g.oldest_pending_age_text,
                            f"{g.consumers_alive}/{len(g.consumers)}",
                        ]
                        for s, g in groups
                    ],
                    right={2, 3, 4, 5},
                )
            )
        consumers = [(s, g, c) for s, g in groups for c in g.consumers]
        if consumers:
            out.append("")
            threshold = f"alive = idle < {redis.alive_threshold_s:.0f} s"
            out.extend(
                _table(
                    ["group", "consumer", "pending", "idle", threshold],
                    [
                        [g.name, c.name, f"{c.pending:,}", c.idle_text, "alive" if c.alive else "IDLE"]
                        for _s, g, c in consumers
                    ],
                    right={2, 3},
                )
            )
    out.append("")
    buckets = status.applied_per_minute
    last5 = sum(b.count for b in buckets[-5:])
    out.append(
        f"Applied: {status.applied_last_hour:,} in the last hour, {last5:,} in the last 5 minutes, "
        f"peak {status.applied_peak_per_minute:,}/min"
    )
    if buckets:
        tz = timezone.get_current_timezone()
        first, last = buckets[0].minute.astimezone(tz), buckets[-1].minute.astimezone(tz)
        out.append(f"  {first:%H:%M} {_spark([b.count for b in buckets])} {last:%H:%M}")
    out.append(f"Parked: {status.parked_count:,} (oldest {status.parked_oldest_age_text})")
    out.append(
        f"Outbox backlog: {status.outbox_unpublished:,} unpublished (oldest {format_age(status.outbox_oldest_age_s)})"
    )
    out.append(f"Dead letters (open): {status.dead_letters_open:,}")
    if status.dead_letters_by_reason:
        out.extend(
            _table(["reason", "count"], [[r.reason, f"{r.count:,}"] for r in status.dead_letters_by_reason], {1})
        )
    if status.dead_letters_by_type:
        out.append("")
        out.extend(
            _table(["type", "count"], [[t.type or "(none)", f"{t.count:,}"] for t in status.dead_letters_by_type], {1})
        )
    return "\n".join(out)


_BLOCKS = "·▁▂▃▄▅▆▇█"  # a dot for an empty minute, so the hour is visible


def _spark(counts: list[int]) -> str:
    peak = max(counts, default=0)
    if peak == 0:
        return "(no events applied in the last hour)"
    return "".join(_BLOCKS[0 if n == 0 else max(1, round(n / peak * 8))] for n in counts)
