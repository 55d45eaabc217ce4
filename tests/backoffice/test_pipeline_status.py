"""The event pipeline's status: Redis figures from a real server, database figures, the admin page (who may see
it, in a constant number of queries, whatever Redis's state) and ``manage.py events_status``."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.events.monitoring import (
    bar_chart,
    format_age,
    normalise_reason,
    pipeline_status,
    redis_stream_status,
)
from backoffice.models import DeadLetter, DeadLetterStatus, InboxEvent, OutboxEvent, ParkedEvent
from backoffice.roles import ANALYST, MODERATOR, OPS_ADMIN
from tests.factories import UserFactory

PIPELINE = "/admin/pipeline/"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def role_client(role: str) -> Client:
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


# --- Redis ----------------------------------------------------------------------------------------------
@pytest.mark.needs_redis
@pytest.mark.django_db
def test_redis_figures_per_stream_group_and_consumer(redis_client: Any, settings: Any) -> None:
    stream, group = settings.EVENTS_STREAM, settings.EVENTS_GROUP
    seconds, micros = redis_client.time()
    now_ms = seconds * 1000 + micros // 1000
    # The first entry is two minutes old: its id carries its time.
    first = redis_client.xadd(stream, {"event": "{}"}, id=f"{now_ms - 120_000}-0")
    for _ in range(9):
        redis_client.xadd(stream, {"event": "{}"})
    redis_client.xgroup_create(stream, group, id="0")
    redis_client.xreadgroup(group, "worker-a", {stream: ">"}, count=4)
    delivered_b = redis_client.xreadgroup(group, "worker-b", {stream: ">"}, count=2)
    redis_client.xack(stream, group, delivered_b[0][1][0][0])
    for _ in range(2):
        redis_client.xadd(settings.EVENTS_DEAD_STREAM, {"event": "{}", "reason": "bad"})
    for _ in range(3):
        redis_client.xadd(settings.OUTBOX_STREAM, {"event": "{}"})

    status = pipeline_status(redis_client)

    assert status.redis.configured and status.redis.ok
    events = status.redis.stream("events")
    assert events is not None and events.exists and events.length == 10
    assert events.last_generated_id == redis_client.xinfo_stream(stream)["last-generated-id"]
    mine = status.consumer_group
    assert mine is not None and mine.name == group
    assert mine.lag == 4  # 10 added, 6 delivered
    assert mine.pending == 5  # 6 delivered, 1 acknowledged
    assert mine.oldest_pending_id == first
    assert 119 <= mine.oldest_pending_age_s < 180
    assert [(c.name, c.pending, c.alive) for c in mine.consumers] == [("worker-a", 4, True), ("worker-b", 1, True)]
    assert mine.consumers_alive == 2 and all(c.idle_ms < 60_000 for c in mine.consumers)
    assert status.redis.stream("dead").length == 2  # type: ignore[union-attr]
    assert status.redis.stream("outbox").length == 3  # type: ignore[union-attr]
    assert status.redis.stream("outbox").groups == ()  # type: ignore[union-attr]

    # "Alive" is idle below the threshold: with a threshold of zero nobody is.
    strict = redis_stream_status(redis_client, alive_ms=0)
    assert strict.stream("events").groups[0].consumers_alive == 0  # type: ignore[union-attr]


@pytest.mark.needs_redis
@pytest.mark.django_db
def test_streams_not_created_yet_are_reported_not_errors(redis_client: Any) -> None:
    status = pipeline_status(redis_client)
    assert status.redis.ok
    assert [(s.key, s.exists, s.length) for s in status.redis.streams] == [
        ("events", False, 0),
        ("dead", False, 0),
        ("outbox", False, 0),
    ]
    assert status.consumer_group is None


class OldRedis:
    """XINFO answers of a Redis before 7 (no lag, no entries-read): the lag is computed or unknown."""

    def time(self) -> tuple[int, int]:
        return (1_800_000_000, 0)

    def xinfo_stream(self, name: str) -> dict[str, Any]:
        return {"length": 7, "last-generated-id": b"1799999999000-0", "last-entry": (b"1799999999000-0", {})}

    def xinfo_groups(self, name: str) -> list[dict[str, Any]]:
        return [
            {"name": b"fresh", "consumers": 0, "pending": 0, "last-delivered-id": b"0-0"},
            {"name": b"midway", "consumers": 1, "pending": 1, "last-delivered-id": b"1799999990000-0"},
        ]

    def xpending(self, name: str, group: str) -> dict[str, Any]:
        return {"pending": 1, "min": b"1799999990000-0", "max": b"1799999990000-0", "consumers": []}

    def xinfo_consumers(self, name: str, group: str) -> list[dict[str, Any]]:
        return [{"name": b"c1", "pending": 1, "idle": 90_000}] if group == "midway" else []

    @property
    def connection_pool(self) -> Any:
        class Pool:
            connection_kwargs = {"host": "old-redis", "port": 6379, "db": 0}

        return Pool()


@pytest.mark.django_db
def test_lag_without_redis_7() -> None:
    status = redis_stream_status(OldRedis())  # type: ignore[arg-type]
    fresh, midway = status.stream("events").groups  # type: ignore[union-attr]
    assert (fresh.lag, fresh.lag_source) == (7, "computed")  # nothing delivered yet: the whole stream
    assert (midway.lag, midway.lag_source) == (None, "unknown")
    assert midway.oldest_pending_age_s == 10.0
    assert [(c.name, c.alive) for c in midway.consumers] == [("c1", False)]
    assert status.stream("events").last_entry_age_s == 1.0  # type: ignore[union-attr]


@pytest.mark.django_db
def test_unreachable_redis_is_an_error_with_the_database_figures_intact() -> None:
    import redis

    ParkedEvent.objects.create(
        event_id=uuid.uuid4(),
        type="application.submitted",
        occurred_at=timezone.now(),
        waiting_for="posting:p-1",
        envelope={},
        transport="redis",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    client = redis.Redis.from_url(UNREACHABLE_REDIS, socket_connect_timeout=1, socket_timeout=1)
    status = pipeline_status(client)
    assert status.redis.configured and not status.redis.ok
    assert "ConnectionError" in status.redis.error
    assert status.redis.url == "redis://127.0.0.1:1/0"
    assert status.parked_count == 1 and len(status.applied_per_minute) == 60


@pytest.mark.django_db
def test_redis_not_configured_is_said_not_failed() -> None:
    status = pipeline_status(None)
    assert not status.redis.configured and status.redis.error == "" and status.redis.streams == ()


# --- the database side ----------------------------------------------------------------------------------
def inbox(received_at: dt.datetime, n: int = 1) -> None:
    for _ in range(n):
        InboxEvent.objects.create(
            event_id=uuid.uuid4(), type="posting.created", occurred_at=received_at, received_at=received_at
        )


def dead(reason: str, type: str = "", status: str = DeadLetterStatus.OPEN) -> DeadLetter:
    return DeadLetter.objects.create(type=type, reason=reason, raw="{}", transport="redis", status=status)


@pytest.fixture
def pipeline_rows() -> dt.datetime:
    now = timezone.now().replace(second=30, microsecond=0)
    inbox(now, 3)  # this minute
    inbox(now - dt.timedelta(minutes=5), 2)
    inbox(now - dt.timedelta(minutes=59))  # the oldest minute shown
    inbox(now - dt.timedelta(minutes=61))  # outside the hour
    for minutes in (10, 2):
        ParkedEvent.objects.create(
            event_id=uuid.uuid4(),
            type="application.submitted",
            occurred_at=now,
            waiting_for="posting:p-1",
            envelope={},
            transport="redis",
            parked_at=now - dt.timedelta(minutes=minutes),
            expires_at=now + dt.timedelta(hours=1),
        )
    for _ in range(3):
        dead("payload.wage.amount: expected an integer", "posting.created")
    dead("not valid JSON: Expecting value: line 1 column 1 (char 0)")
    dead("not valid JSON: Unterminated string starting at: line 1 column 20 (char 19)")
    dead("event is 70000 bytes, over the 64 KiB limit")
    dead("event is 81234 bytes, over the 64 KiB limit")
    dead("type: unknown event type 'posting.deleted'", "posting.deleted")
    dead("payload.wage.amount: expected an integer", "posting.created", status=DeadLetterStatus.DISCARDED)
    for minutes, published in ((3, False), (1, False), (30, True)):
        OutboxEvent.objects.create(
            event_id=uuid.uuid4(),
            type="report.resolved",
            payload={"report_id": "r-1", "outcome": "dismissed"},
            created_at=now - dt.timedelta(minutes=minutes),
            published_at=now if published else None,
        )
    return now


@pytest.mark.django_db
def test_database_figures(pipeline_rows: dt.datetime) -> None:
    now = pipeline_rows
    status = pipeline_status(None, now=now)

    buckets = status.applied_per_minute
    assert len(buckets) == 60
    assert buckets[-1].minute == now.astimezone(dt.UTC).replace(second=0)
    assert all(b.minute - a.minute == dt.timedelta(minutes=1) for a, b in itertools.pairwise(buckets))
    assert (buckets[-1].count, buckets[-6].count, buckets[0].count) == (3, 2, 1)
    assert sum(1 for b in buckets if b.count == 0) == 57  # zeros are buckets too
    assert status.applied_last_hour == 6 and status.applied_peak_per_minute == 3

    assert status.parked_count == 2 and status.parked_oldest_age_s == 600

    assert status.dead_letters_open == 8
    assert [(r.reason, r.count) for r in status.dead_letters_by_reason] == [
        ("payload.wage.amount", 3),
        ("event is N bytes, over the N KiB limit", 2),
        ("not valid JSON", 2),
        ("type", 1),
    ]
    assert {r.reason: r.search for r in status.dead_letters_by_reason}["event is N bytes, over the N KiB limit"] == (
        "event is"
    )
    assert [(t.type, t.count) for t in status.dead_letters_by_type] == [
        ("", 4),
        ("posting.created", 3),
        ("posting.deleted", 1),
    ]

    assert status.outbox_unpublished == 2 and status.outbox_oldest_age_s == 180


def test_reason_normalisation_and_ages() -> None:
    assert normalise_reason("payload.title: longer than 200 characters") == "payload.title"
    assert normalise_reason("event is over the 64 KiB limit (70001 bytes)") == "event is over the N KiB limit (N bytes)"
    assert normalise_reason("x" * 100) == "x" * 60
    assert normalise_reason("posting:p-9 never arrived (waited since 2026-11-25)") == "posting"
    assert [format_age(s) for s in (None, 5, 65, 3720, 90_000)] == ["—", "5 s", "1 min 05 s", "1 h 02 min", "1 d 1 h"]


def test_bar_chart_geometry() -> None:
    from backoffice.events.monitoring import MinuteBucket

    start = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)
    buckets = [MinuteBucket(start + dt.timedelta(minutes=i), i % 3) for i in range(60)]
    chart = bar_chart(buckets)
    assert len(chart.bars) == 60 and chart.peak == 2
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.y + tallest.height == chart.plot_bottom and tallest.y == chart.plot_top
    assert all(b.height == 0 for b in chart.bars if b.count == 0)
    assert [label for _x, label, _anchor in chart.ticks] == ["09:00", "09:15", "09:30", "09:45", "09:59"]  # Seoul
    assert [anchor for _x, _label, anchor in chart.ticks] == ["start", "middle", "middle", "middle", "end"]


# --- the admin page -------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestPipelinePage:
    def test_superuser_sees_every_section(
        self, admin_client: Client, pipeline_rows: dt.datetime, settings: Any
    ) -> None:
        settings.REDIS_URL = ""
        response = admin_client.get(PIPELINE)
        assert response.status_code == 200
        page = response.content.decode()
        assert '<meta http-equiv="refresh" content="30">' in page
        assert "Redis is not configured" in page
        assert '<svg class="pl-chart"' in page and page.count('<rect class="bar"') == 60
        assert 'id="pl-minutes"' in page  # the accessible table beside the chart
        assert "payload.wage.amount" in page
        assert "/admin/backoffice/deadletter/?status__exact=open&amp;type__exact=posting.created" in page
        assert "/admin/backoffice/deadletter/?status__exact=open&amp;q=%22payload.wage.amount%22" in page
        assert "/admin/backoffice/outboxevent/?published_at__isnull=True" in page
        assert "admin-interface" in page  # the theme's base template, navigation included
        # The links lead somewhere that works.
        assert (
            admin_client.get("/admin/backoffice/deadletter/?status__exact=open&q=%22not+valid+JSON%22").status_code
            == 200
        )
        assert admin_client.get("/admin/backoffice/outboxevent/?published_at__isnull=True").status_code == 200
        assert "?status__exact=open&amp;type__exact=" + '"' in page  # dead letters without a type (not JSON)
        assert admin_client.get("/admin/backoffice/deadletter/?status__exact=open&type__exact=").status_code == 200

    def test_ops_admin_may_see_it_analyst_and_moderator_may_not(self, settings: Any) -> None:
        settings.REDIS_URL = ""
        assert role_client(OPS_ADMIN).get(PIPELINE).status_code == 200
        assert role_client(ANALYST).get(PIPELINE).status_code == 403
        assert role_client(MODERATOR).get(PIPELINE).status_code == 403
        anonymous = Client().get(PIPELINE)
        assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    def test_linked_from_the_index_for_those_who_may_see_it(self, admin_client: Client, settings: Any) -> None:
        settings.REDIS_URL = ""
        index = admin_client.get(reverse("admin:index")).content.decode()
        assert f'href="{PIPELINE}"' in index and "Event pipeline" in index
        assert "Review queue (" in index  # the navigation badges still work
        assert f'href="{PIPELINE}"' in role_client(OPS_ADMIN).get(reverse("admin:index")).content.decode()
        assert f'href="{PIPELINE}"' not in role_client(ANALYST).get(reverse("admin:index")).content.decode()
        # An app's own index lists that app only: no pseudo-app there, and nothing breaks.
        assert admin_client.get("/admin/backoffice/").status_code == 200
        request = RequestFactory().get("/admin/backoffice/")
        request.user = get_user_model().objects.get(is_superuser=True)
        assert [app["app_label"] for app in admin.site.get_app_list(request, "backoffice")] == ["backoffice"]

    def test_unreachable_redis_shown_with_the_database_figures(
        self, admin_client: Client, pipeline_rows: dt.datetime, settings: Any
    ) -> None:
        settings.REDIS_URL = UNREACHABLE_REDIS
        response = admin_client.get(PIPELINE)
        assert response.status_code == 200
        page = response.content.decode()
        assert "is unreachable" in page and "ConnectionError" in page
        assert "payload.wage.amount" in page  # database figures still there

    @pytest.mark.needs_redis
    def test_with_redis_groups_and_consumers(self, admin_client: Client, redis_client: Any, settings: Any) -> None:
        stream, group = settings.EVENTS_STREAM, settings.EVENTS_GROUP
        for _ in range(3):
            redis_client.xadd(stream, {"event": "{}"})
        redis_client.xgroup_create(stream, group, id="0")
        redis_client.xreadgroup(group, "web-1", {stream: ">"}, count=1)
        page = admin_client.get(PIPELINE).content.decode()
        assert "web-1" in page and "alive" in page and stream in page

    def test_query_count_does_not_grow_with_rows(self, admin_client: Client, settings: Any) -> None:
        settings.REDIS_URL = ""
        now = timezone.now()

        def add_rows(n: int) -> None:
            for i in range(n):
                inbox(now - dt.timedelta(minutes=i % 60))
                dead(f"payload.field_{i}: required", f"type.{i}")
                ParkedEvent.objects.create(
                    event_id=uuid.uuid4(),
                    type="posting.closed",
                    occurred_at=now,
                    waiting_for=f"posting:p-{i}",
                    envelope={},
                    transport="http",
                    expires_at=now + dt.timedelta(hours=1),
                )
                OutboxEvent.objects.create(
                    event_id=uuid.uuid4(), type="report.resolved", payload={"report_id": "r", "outcome": "dismissed"}
                )

        def count() -> int:
            admin_client.get(PIPELINE)  # per-process caches (content types, theme) first
            with CaptureQueriesContext(connection) as ctx:
                assert admin_client.get(PIPELINE).status_code == 200
            return len(ctx.captured_queries)

        add_rows(2)
        small = count()
        add_rows(25)
        assert count() == small


# --- events_status --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_events_status_json_parses(pipeline_rows: dt.datetime, settings: Any) -> None:
    settings.REDIS_URL = ""
    out = io.StringIO()
    call_command("events_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["redis"] == {
        "configured": False,
        "url": "",
        "error": "",
        "streams": [],
        "alive_threshold_s": 60.0,
        "ok": False,
    }
    assert len(data["applied_per_minute"]) == 60 and data["applied_last_hour"] == 6
    assert data["parked_count"] == 2 and data["outbox_unpublished"] == 2 and data["dead_letters_open"] == 8
    assert data["dead_letters_by_reason"][0] == {
        "reason": "payload.wage.amount",
        "count": 3,
        "search": "payload.wage.amount",
    }
    dt.datetime.fromisoformat(data["generated_at"])


@pytest.mark.needs_redis
@pytest.mark.django_db
def test_events_status_with_redis(redis_client: Any, settings: Any) -> None:
    stream, group = settings.EVENTS_STREAM, settings.EVENTS_GROUP
    redis_client.xadd(stream, {"event": "{}"})
    redis_client.xgroup_create(stream, group, id="0")
    redis_client.xreadgroup(group, "c-1", {stream: ">"}, count=1)
    out = io.StringIO()
    call_command("events_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["redis"]["ok"] is True
    events = data["redis"]["streams"][0]
    assert events["name"] == stream and events["length"] == 1
    assert events["groups"][0]["pending"] == 1 and events["groups"][0]["consumers_alive"] == 1
    text = io.StringIO()
    call_command("events_status", stdout=text)
    assert "c-1" in text.getvalue() and "alive" in text.getvalue()


@pytest.mark.django_db
def test_events_status_exits_2_when_redis_is_configured_but_down(pipeline_rows: dt.datetime, settings: Any) -> None:
    settings.REDIS_URL = UNREACHABLE_REDIS
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("events_status", stdout=out, stderr=err)
    assert exit_info.value.code == 2
    assert "UNREACHABLE" in out.getvalue() and "Dead letters (open): 8" in out.getvalue()
    assert "unreachable" in err.getvalue()
