"""The event pipeline's health, read-only: what the admin page and ``manage.py events_status`` show.

Two halves, computed independently so one failing never hides the other:

* Redis (when configured): per stream — ``marketplace.events`` (consumed), its dead-letter stream and the
  outbox stream ``backoffice.events`` — the length, the last id and every consumer group with its lag, its
  pending count, the age of its oldest pending entry and its consumers (alive = idle under a threshold).
  Ages come from Redis's own clock (``TIME``) and the millisecond part of entry ids, so a skewed web host
  does not distort them.
* The database: events applied per minute over the last hour (60 buckets, zeros included), parked events,
  open dead letters by reason and by type, and the outbox backlog. A fixed number of aggregate queries,
  however many rows there are.

``pipeline_status(None)`` means "Redis is not configured" (the SQLite demo receives events over HTTP); a
configured but unreachable Redis gives a status whose ``redis.error`` says so, with the database figures intact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case, Count, Min, Q, Value, When
from django.db.models.functions import StrIndex, Substr, TruncMinute
from django.utils import timezone

from backoffice.models import DeadLetter, DeadLetterStatus, InboxEvent, OutboxEvent, ParkedEvent

if TYPE_CHECKING:
    import redis

CONSUMER_ALIVE_MS = 60_000
WINDOW_MINUTES = 60
TOP_REASONS = 10
TOP_TYPES = 10
# Distinct reason prefixes read from the database before merging variants that differ only in numbers.
_REASON_PREFIXES_READ = 200
_REASON_PREFIX_CHARS = 60
REDIS_TIMEOUT_SECONDS = 2.0


# --- result types ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsumerStatus:
    name: str
    pending: int
    idle_ms: int
    alive: bool

    @property
    def idle_text(self) -> str:
        return format_age(self.idle_ms / 1000)


@dataclass(frozen=True)
class GroupStatus:
    name: str
    lag: int | None  # entries not yet delivered to the group; None when Redis cannot tell
    lag_source: str  # "redis" (XINFO's lag), "computed" (entries added - read) or "unknown"
    pending: int  # delivered, not acknowledged
    oldest_pending_id: str | None
    oldest_pending_age_s: float | None
    last_delivered_id: str
    entries_read: int | None
    consumers: tuple[ConsumerStatus, ...]

    @property
    def consumers_alive(self) -> int:
        return sum(1 for c in self.consumers if c.alive)

    @property
    def oldest_pending_age_text(self) -> str:
        return format_age(self.oldest_pending_age_s)


@dataclass(frozen=True)
class StreamStatus:
    key: str  # "events", "dead", "outbox"
    name: str
    exists: bool
    length: int
    last_generated_id: str | None
    last_entry_age_s: float | None
    groups: tuple[GroupStatus, ...]

    @property
    def last_entry_age_text(self) -> str:
        return format_age(self.last_entry_age_s)


@dataclass(frozen=True)
class RedisStatus:
    configured: bool
    url: str = ""  # without credentials
    error: str = ""
    streams: tuple[StreamStatus, ...] = ()
    alive_threshold_s: float = CONSUMER_ALIVE_MS / 1000

    @property
    def ok(self) -> bool:
        return self.configured and not self.error

    def stream(self, key: str) -> StreamStatus | None:
        return next((s for s in self.streams if s.key == key), None)


@dataclass(frozen=True)
class MinuteBucket:
    minute: dt.datetime  # start of the minute, UTC
    count: int


@dataclass(frozen=True)
class ReasonCount:
    reason: str  # normalised prefix
    count: int
    search: str  # text to search the dead-letter admin for ("" = none usable)


@dataclass(frozen=True)
class TypeCount:
    type: str
    count: int


@dataclass(frozen=True)
class PipelineStatus:
    generated_at: dt.datetime
    redis: RedisStatus
    applied_per_minute: tuple[MinuteBucket, ...]
    parked_count: int
    parked_oldest_at: dt.datetime | None
    dead_letters_open: int
    dead_letters_by_reason: tuple[ReasonCount, ...]
    dead_letters_by_type: tuple[TypeCount, ...]
    outbox_unpublished: int
    outbox_oldest_at: dt.datetime | None
    events_stream: str = ""
    events_group: str = ""

    @property
    def applied_last_hour(self) -> int:
        return sum(b.count for b in self.applied_per_minute)

    @property
    def applied_peak_per_minute(self) -> int:
        return max((b.count for b in self.applied_per_minute), default=0)

    @property
    def parked_oldest_age_s(self) -> float | None:
        return _age(self.generated_at, self.parked_oldest_at)

    @property
    def outbox_oldest_age_s(self) -> float | None:
        return _age(self.generated_at, self.outbox_oldest_at)

    @property
    def parked_oldest_age_text(self) -> str:
        return format_age(self.parked_oldest_age_s)

    @property
    def outbox_oldest_age_text(self) -> str:
        return format_age(self.outbox_oldest_age_s)

    @property
    def consumer_group(self) -> GroupStatus | None:
        """The back-office's own group on the consumed stream (what "add consumers?" is decided on)."""
        stream = self.redis.stream("events")
        if stream is None:
            return None
        return next((g for g in stream.groups if g.name == self.events_group), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (times as ISO 8601 UTC, ages in seconds), for ``events_status --json``."""
        data = _jsonable(dataclasses.asdict(self))
        data["applied_last_hour"] = self.applied_last_hour
        data["parked_oldest_age_s"] = self.parked_oldest_age_s
        data["outbox_oldest_age_s"] = self.outbox_oldest_age_s
        data["redis"]["ok"] = self.redis.ok
        for stream_data, stream in zip(data["redis"]["streams"], self.redis.streams, strict=True):
            for group_data, group in zip(stream_data["groups"], stream.groups, strict=True):
                group_data["consumers_alive"] = group.consumers_alive
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _age(now: dt.datetime, then: dt.datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


# --- entry point ----------------------------------------------------------------------------------------
def pipeline_status(redis_client: redis.Redis | None, *, now: dt.datetime | None = None) -> PipelineStatus:
    """The whole status. ``redis_client=None``: Redis is not configured (said so, not an error)."""
    now = now or timezone.now()
    redis_status = redis_stream_status(redis_client) if redis_client is not None else RedisStatus(configured=False)
    parked = ParkedEvent.objects.aggregate(n=Count("pk"), oldest=Min("parked_at"))
    outbox = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(n=Count("pk"), oldest=Min("created_at"))
    return PipelineStatus(
        generated_at=now,
        redis=redis_status,
        applied_per_minute=applied_per_minute(now=now),
        parked_count=parked["n"],
        parked_oldest_at=parked["oldest"],
        dead_letters_open=DeadLetter.objects.filter(status=DeadLetterStatus.OPEN).count(),
        dead_letters_by_reason=dead_letters_by_reason(),
        dead_letters_by_type=dead_letters_by_type(),
        outbox_unpublished=outbox["n"],
        outbox_oldest_at=outbox["oldest"],
        events_stream=settings.EVENTS_STREAM,
        events_group=settings.EVENTS_GROUP,
    )


def redis_client_from_settings() -> redis.Redis | None:
    """A client for ``REDIS_URL`` with short timeouts (a status page must not hang), or None when unset."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
    )


# --- Redis ----------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _id_ms(entry_id: Any) -> int | None:
    try:
        return int(_text(entry_id).split("-", 1)[0])
    except (TypeError, ValueError):
        return None


def _client_url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def redis_stream_status(client: redis.Redis, *, alive_ms: int = CONSUMER_ALIVE_MS) -> RedisStatus:
    import redis as redis_lib

    url = _client_url(client)
    streams = (
        ("events", settings.EVENTS_STREAM),
        ("dead", settings.EVENTS_DEAD_STREAM),
        ("outbox", settings.OUTBOX_STREAM),
    )
    try:
        seconds, micros = client.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        result = tuple(_stream_status(client, key, name, now_ms, alive_ms) for key, name in streams)
    except (redis_lib.RedisError, OSError) as exc:
        return RedisStatus(
            configured=True, url=url, error=f"{type(exc).__name__}: {exc}", alive_threshold_s=alive_ms / 1000
        )
    return RedisStatus(configured=True, url=url, streams=result, alive_threshold_s=alive_ms / 1000)


def _is_missing_key(exc: Exception) -> bool:
    return "no such key" in str(exc).lower()


def _stream_status(client: redis.Redis, key: str, name: str, now_ms: int, alive_ms: int) -> StreamStatus:
    import redis as redis_lib

    try:
        info = client.xinfo_stream(name)
    except redis_lib.ResponseError as exc:
        if _is_missing_key(exc):
            return StreamStatus(key, name, False, 0, None, None, ())
        raise
    length = int(info.get("length") or 0)
    last_id = _text(info["last-generated-id"]) if info.get("last-generated-id") is not None else None
    entries_added = info.get("entries-added")
    last_entry = info.get("last-entry")
    last_entry_ms = _id_ms(last_entry[0]) if last_entry else None
    groups = tuple(
        _group_status(client, name, raw, length, entries_added, now_ms, alive_ms) for raw in client.xinfo_groups(name)
    )
    return StreamStatus(
        key=key,
        name=name,
        exists=True,
        length=length,
        last_generated_id=last_id,
        last_entry_age_s=None if last_entry_ms is None else max(0, now_ms - last_entry_ms) / 1000,
        groups=groups,
    )


def _group_status(
    client: redis.Redis,
    stream: str,
    raw: Mapping[str, Any],
    length: int,
    entries_added: Any,
    now_ms: int,
    alive_ms: int,
) -> GroupStatus:
    name = _text(raw["name"])
    entries_read = raw.get("entries-read")
    lag, lag_source = raw.get("lag"), "redis"
    if lag is None:
        # Redis < 7 has no lag; 7+ reports nil after deletions it cannot account for. Entries added minus
        # entries read is the same figure when both are known; the stream length bounds it otherwise.
        if entries_read is not None and entries_added is not None:
            lag, lag_source = max(0, int(entries_added) - int(entries_read)), "computed"
        elif entries_read is not None:
            lag, lag_source = max(0, length - int(entries_read)), "computed"
        elif _text(raw.get("last-delivered-id", "")) in ("0-0", "0"):
            lag, lag_source = length, "computed"
        else:
            lag_source = "unknown"
    pending = int(raw.get("pending") or 0)
    oldest_id = None
    oldest_age = None
    if pending:
        summary = client.xpending(stream, name)
        if summary and summary.get("min") is not None:
            oldest_id = _text(summary["min"])
            oldest_ms = _id_ms(oldest_id)
            oldest_age = None if oldest_ms is None else max(0, now_ms - oldest_ms) / 1000
    consumers = tuple(
        ConsumerStatus(
            name=_text(c["name"]),
            pending=int(c.get("pending") or 0),
            idle_ms=int(c.get("idle") or 0),
            alive=int(c.get("idle") or 0) < alive_ms,
        )
        for c in client.xinfo_consumers(stream, name)
    )
    return GroupStatus(
        name=name,
        lag=None if lag is None else int(lag),
        lag_source=lag_source,
        pending=pending,
        oldest_pending_id=oldest_id,
        oldest_pending_age_s=oldest_age,
        last_delivered_id=_text(raw.get("last-delivered-id", "")),
        entries_read=None if entries_read is None else int(entries_read),
        consumers=tuple(sorted(consumers, key=lambda c: c.name)),
    )


# --- database -------------------------------------------------------------------------------------------
def applied_per_minute(*, now: dt.datetime | None = None, minutes: int = WINDOW_MINUTES) -> tuple[MinuteBucket, ...]:
    """Events applied (inbox rows) per minute, oldest first, the current minute last; zeros included."""
    now = now or timezone.now()
    current = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    start = current - dt.timedelta(minutes=minutes - 1)
    rows = (
        InboxEvent.objects.filter(received_at__gte=start, received_at__lt=current + dt.timedelta(minutes=1))
        .annotate(minute=TruncMinute("received_at"))
        .values("minute")
        .annotate(n=Count("pk"))
        .values_list("minute", "n")
    )
    counts = {minute.astimezone(dt.UTC).replace(second=0, microsecond=0): n for minute, n in rows}
    return tuple(
        MinuteBucket(minute=m, count=counts.get(m, 0))
        for m in (start + dt.timedelta(minutes=i) for i in range(minutes))
    )


_NUMBERS = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_PLACEHOLDER = re.compile(r"\bN\b|…")


def normalise_reason(reason: str) -> str:
    """A dead letter's reason as a group label: the text before the first ':' (the field or problem:
    "payload.wage.amount", "not valid JSON"), else the first 60 characters; numbers and quoted values
    collapsed so "event is 70000 bytes" and "event is 81234 bytes" are one group."""
    head = reason.split(":", 1)[0] if ":" in reason[:_REASON_PREFIX_CHARS] else reason[:_REASON_PREFIX_CHARS]
    head = _QUOTED.sub("…", head)
    return _NUMBERS.sub("N", head).strip() or "(empty)"


def _search_text(label: str) -> str:
    """The leading text before any placeholder: what the dead-letter admin's search can look for."""
    plain = _PLACEHOLDER.split(label, maxsplit=1)[0].strip(" ,.(")
    return plain if len(plain) >= 3 else ""


def dead_letters_by_reason(limit: int = TOP_REASONS) -> tuple[ReasonCount, ...]:
    """Open dead letters by normalised reason, most frequent first. One query: the database groups by the
    prefix (before ':' or the first 60 characters), Python merges prefixes that differ only in numbers."""
    colon = StrIndex("reason", Value(":"))
    prefix = Case(
        When(Q(colon__gt=0) & Q(colon__lte=_REASON_PREFIX_CHARS), then=Substr("reason", 1, colon - 1)),
        default=Substr("reason", 1, _REASON_PREFIX_CHARS),
    )
    rows = (
        DeadLetter.objects.filter(status=DeadLetterStatus.OPEN)
        .annotate(colon=colon)
        .annotate(prefix=prefix)
        .values("prefix")
        .annotate(n=Count("pk"))
        .order_by("-n", "prefix")
        .values_list("prefix", "n")[:_REASON_PREFIXES_READ]
    )
    merged: Counter[str] = Counter()
    for text, n in rows:
        merged[normalise_reason(text or "")] += n
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return tuple(ReasonCount(reason=label, count=n, search=_search_text(label)) for label, n in ranked)


def dead_letters_by_type(limit: int = TOP_TYPES) -> tuple[TypeCount, ...]:
    rows = (
        DeadLetter.objects.filter(status=DeadLetterStatus.OPEN)
        .values("type")
        .annotate(n=Count("pk"))
        .order_by("-n", "type")
        .values_list("type", "n")[:limit]
    )
    return tuple(TypeCount(type=t, count=n) for t, n in rows)


# --- presentation helpers (shared by the page and the command) ------------------------------------------
def format_age(seconds: float | None) -> str:
    """12 s, 4 min 05 s, 3 h 20 min, 2 d 4 h; "—" for nothing."""
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    if s < 86_400:
        return f"{s // 3600} h {(s % 3600) // 60:02d} min"
    return f"{s // 86_400} d {(s % 86_400) // 3600} h"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    minute: dt.datetime


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    peak: int
    # (x, label, text-anchor) along the time axis; the end labels anchor inwards so they are not clipped.
    ticks: tuple[tuple[float, str, str], ...] = field(default_factory=tuple)
    plot_top: float = 0
    plot_bottom: float = 0


def bar_chart(buckets: Sequence[MinuteBucket], *, width: int = 600, height: int = 200) -> Chart:
    """Geometry of a server-side SVG bar chart (the template draws it; no JavaScript, no CDN)."""
    top, bottom, left, right = 14.0, 20.0, 4.0, 4.0
    plot_height = height - top - bottom
    slot = (width - left - right) / max(1, len(buckets))
    peak = max((b.count for b in buckets), default=0)
    bars = []
    for index, bucket in enumerate(buckets):
        h = 0.0 if peak == 0 else plot_height * bucket.count / peak
        if bucket.count and h < 1.5:
            h = 1.5  # a non-zero minute stays visible
        bars.append(
            Bar(
                x=round(left + index * slot + slot * 0.1, 2),
                y=round(top + plot_height - h, 2),
                width=round(slot * 0.8, 2),
                height=round(h, 2),
                count=bucket.count,
                minute=bucket.minute,
            )
        )
    tz = timezone.get_current_timezone()
    last = len(buckets) - 1
    ticks = tuple(
        (
            round(left if index == 0 else width - right if index == last else left + index * slot + slot / 2, 2),
            bucket.minute.astimezone(tz).strftime("%H:%M"),
            "start" if index == 0 else "end" if index == last else "middle",
        )
        for index, bucket in enumerate(buckets)
        if index % 15 == 0 or index == last
    )
    return Chart(
        width=width,
        height=height,
        bars=tuple(bars),
        peak=peak,
        ticks=ticks,
        plot_top=top,
        plot_bottom=top + plot_height,
    )


__all__ = [
    "CONSUMER_ALIVE_MS",
    "Chart",
    "ConsumerStatus",
    "GroupStatus",
    "MinuteBucket",
    "PipelineStatus",
    "ReasonCount",
    "RedisStatus",
    "StreamStatus",
    "TypeCount",
    "applied_per_minute",
    "bar_chart",
    "dead_letters_by_reason",
    "dead_letters_by_type",
    "format_age",
    "normalise_reason",
    "pipeline_status",
    "redis_client_from_settings",
    "redis_stream_status",
]
