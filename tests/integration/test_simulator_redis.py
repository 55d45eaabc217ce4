"""The simulator's Redis transport against the real Redis `make test` starts: entries as EVENTS.md says."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from backoffice.events.processor import REJECTED, RawItem, process_batch
from backoffice.events.schemas import parse
from backoffice.events.simulator import RedisSender, TrafficGenerator, run_traffic

pytestmark = pytest.mark.needs_redis


def test_redis_transport_adds_one_entry_per_event_with_the_event_field(redis_client: Any, settings: Any) -> None:
    stream = settings.EVENTS_STREAM
    generator = TrafficGenerator(seed=2)
    expected = TrafficGenerator(seed=2)
    sender = RedisSender(redis_client, stream)
    summary = run_traffic(generator, sender, rate=200, duration=0.5)

    entries = redis_client.xrange(stream)
    assert len(entries) == summary.sent == sender.totals.accepted >= 90
    assert sender.totals.requests >= 4  # one pipelined batch per tick, not one round trip per event
    assert all(list(fields) == ["event"] for _id, fields in entries)
    # The same events in the same order as the generator gives (a live run's clock moves occurred_at only).
    for (_entry_id, fields), item in zip(entries, expected.take(len(entries)), strict=True):
        if item.valid:
            assert parse(fields["event"]).event_id == parse(item.text).event_id


@pytest.mark.django_db
def test_stream_entries_are_consumable(redis_client: Any, settings: Any) -> None:
    """What the simulator puts on the stream, the processor takes: no valid event rejected."""
    stream = settings.EVENTS_STREAM
    generator = TrafficGenerator(seed=9)
    items = generator.take(150)
    RedisSender(redis_client, stream).send(items)
    entries = redis_client.xrange(stream)
    outcomes = process_batch(
        [RawItem(raw=fields["event"], ref=entry_id) for entry_id, fields in entries], transport="redis"
    )
    assert [o.ref for o in outcomes] == [entry_id for entry_id, _f in entries]
    for item, outcome in zip(items, outcomes, strict=True):
        assert (outcome.status == REJECTED) == (not item.valid), (item.kind, item.type, outcome.error)


def test_simulate_traffic_command_over_redis(redis_client: Any, redis_url: str, settings: Any) -> None:
    out = io.StringIO()
    call_command(
        "simulate_traffic",
        "--transport=redis",
        f"--redis-url={redis_url}",
        "--rate=100",
        "--duration=0.3",
        "--seed=4",
        stdout=out,
    )
    output = out.getvalue()
    assert "seed 4" in output and "sent 30 events over redis" in output
    assert "duplicates" in output and "out-of-order pairs" in output and "invalid" in output
    assert redis_client.xlen(settings.EVENTS_STREAM) == 30


def test_simulate_traffic_exits_2_when_redis_is_down(settings: Any) -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "simulate_traffic", "--transport=redis", "--redis-url=redis://127.0.0.1:1/0", "--duration=1", stderr=err
        )
    assert exit_info.value.code == 2
    assert "unreachable" in err.getvalue()
