"""The traffic simulator: reproducible, the advertised mix, contract-valid where meant to be, and a world
model consistent enough that the processor applies every valid event (none rejected, none left parked)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command

from backoffice.audit import Actor
from backoffice.events.processor import APPLIED, PARKED, REJECTED, RawItem, process_batch
from backoffice.events.processor import DUPLICATE as SEEN_BEFORE
from backoffice.events.schemas import MAX_EVENT_BYTES, EventValidationError, parse
from backoffice.events.simulator import (
    DUPLICATE,
    INVALID,
    INVALID_VARIANTS,
    OUT_OF_ORDER,
    HttpSender,
    SimItem,
    TrafficGenerator,
    run_traffic,
)
from backoffice.events.tokens import api_token_create
from backoffice.models import DeadLetter, InboxEvent, ParkedEvent
from jobs.demo import DISCRIMINATION_MARKERS
from jobs.models import Application, Employer, JobPosting, Seeker

EVENT_TYPES = {
    "employer.registered",
    "seeker.registered",
    "posting.created",
    "posting.updated",
    "posting.closed",
    "application.submitted",
    "application.status_changed",
    "report.filed",
}


def texts(items: list[SimItem]) -> list[str]:
    return [item.text for item in items]


def without_time(item: SimItem) -> Any:
    try:
        data = json.loads(item.text)
    except json.JSONDecodeError:
        return item.text[:40]
    data.pop("occurred_at", None)
    # Work dates are "from a few days after the event": they follow the clock too.
    for name in ("starts_on", "ends_on"):
        data.get("payload", {}).pop(name, None)
    return data


@pytest.fixture(scope="module")
def sample() -> tuple[TrafficGenerator, list[SimItem]]:
    generator = TrafficGenerator(seed=11)
    return generator, generator.take(5000)


class TestGenerator:
    def test_same_seed_same_events_other_seed_other_events(self) -> None:
        assert texts(TrafficGenerator(seed=3).take(400)) == texts(TrafficGenerator(seed=3).take(400))
        assert texts(TrafficGenerator(seed=3).take(50)) != texts(TrafficGenerator(seed=4).take(50))
        # Taking in slices is the same stream as taking at once.
        generator = TrafficGenerator(seed=3)
        assert texts(generator.take(150) + generator.take(250)) == texts(TrafficGenerator(seed=3).take(400))

    def test_the_wall_clock_moves_occurred_at_only(self) -> None:
        simulated = TrafficGenerator(seed=8).take(300)
        live_generator = TrafficGenerator(seed=8)
        now = dt.datetime.now(dt.UTC)
        live = live_generator.take(150, now=now) + live_generator.take(150, now=now + dt.timedelta(seconds=1))
        assert [without_time(i) for i in live] == [without_time(i) for i in simulated]
        first = parse(live[0].text).occurred_at
        assert abs((first - now).total_seconds()) < 1

    def test_mix_proportions(self, sample: tuple[TrafficGenerator, list[SimItem]]) -> None:
        generator, items = sample
        kinds = Counter(item.kind for item in items)
        n = len(items)
        assert 0.005 <= kinds[INVALID] / n <= 0.016, kinds
        assert 0.013 <= kinds[DUPLICATE] / n <= 0.028, kinds
        assert 0.012 <= generator.counts["out_of_order_pairs"] / n <= 0.028, generator.counts
        assert kinds[OUT_OF_ORDER] == generator.counts["out_of_order_pairs"]
        types = Counter(item.type for item in items if item.kind != INVALID)
        assert set(types) == EVENT_TYPES
        # Mostly new postings, applications and status changes; some registrations and reports.
        busy = types["posting.created"] + types["application.submitted"] + types["application.status_changed"]
        assert busy / sum(types.values()) > 0.6, types
        assert 0.02 < types["report.filed"] / sum(types.values()) < 0.12, types
        assert {item.note for item in items if item.kind == INVALID} == set(INVALID_VARIANTS)

    def test_valid_events_pass_the_contract_and_invalid_ones_fail_it(
        self, sample: tuple[TrafficGenerator, list[SimItem]]
    ) -> None:
        _generator, items = sample
        for item in items:
            if item.valid:
                event = parse(item.text)
                assert str(event.event_id) == item.event_id and event.type == item.type
                assert event.occurred_at.utcoffset() == dt.timedelta(hours=9)
            else:
                with pytest.raises(EventValidationError):
                    parse(item.text)
        oversized = [i for i in items if i.note == "oversized"]
        assert oversized and all(len(i.text.encode("utf-8")) > MAX_EVENT_BYTES for i in oversized)
        assert max(len(i.text.encode("utf-8")) for i in items if i.valid) < MAX_EVENT_BYTES

    def test_duplicates_are_exact_resends_of_earlier_events(
        self, sample: tuple[TrafficGenerator, list[SimItem]]
    ) -> None:
        _generator, items = sample
        seen: set[str] = set()
        for item in items:
            if item.kind == DUPLICATE:
                assert item.text in seen
            seen.add(item.text)
        ids = [i.event_id for i in items if i.valid and i.kind != DUPLICATE]
        assert len(ids) == len(set(ids)), "a fresh event must have a fresh event_id"

    def test_out_of_order_pairs_send_the_dependent_event_first(
        self, sample: tuple[TrafficGenerator, list[SimItem]]
    ) -> None:
        _generator, items = sample
        shapes = set()
        for index, item in enumerate(items):
            if item.kind != OUT_OF_ORDER:
                continue
            dependency = items[index + 1]
            shapes.add(item.note)
            assert dependency.note == item.note
            assert parse(dependency.text).occurred_at < parse(item.text).occurred_at
        assert shapes == {
            "posting.updated before posting.created",
            "application.submitted before posting.created",
            "application.status_changed before application.submitted",
            "posting.created before employer.registered",
        }

    def test_later_events_refer_to_entities_described_earlier(
        self, sample: tuple[TrafficGenerator, list[SimItem]]
    ) -> None:
        """The world model: every reference is to something already sent, or to the dependency that directly
        follows an out-of-order event."""
        _generator, items = sample
        known: set[str] = set()

        def provides(payload: dict[str, Any], event_type: str) -> set[str]:
            keys = {
                "employer.registered": {f"employer:{payload.get('employer_id')}"},
                "seeker.registered": {f"seeker:{payload.get('seeker_id')}"},
                "posting.created": {f"posting:{payload.get('posting_id')}"},
                "posting.updated": {f"posting:{payload.get('posting_id')}"},
                "application.submitted": {f"application:{payload.get('application_id')}"},
            }
            return keys.get(event_type, set())

        def needs(payload: dict[str, Any], event_type: str) -> set[str]:
            if event_type.startswith("posting.") and event_type != "posting.closed":
                return {f"employer:{payload['employer_id']}"}
            if event_type == "posting.closed":
                return {f"posting:{payload['posting_id']}"}
            if event_type == "application.submitted":
                return {f"posting:{payload['posting_id']}", f"seeker:{payload['seeker_id']}"}
            if event_type == "application.status_changed":
                return {f"application:{payload['application_id']}"}
            if event_type == "report.filed":
                return {f"{payload['target']['kind']}:{payload['target']['id']}"}
            return set()

        for index, item in enumerate(items):
            if not item.valid:
                continue
            event = json.loads(item.text)
            allowed = set(known)
            if item.kind == OUT_OF_ORDER:
                following = json.loads(items[index + 1].text)
                allowed |= provides(following["payload"], following["type"])
                allowed |= provides(event["payload"], event["type"])  # an update overtaking its create
            missing = needs(event["payload"], event["type"]) - allowed
            assert not missing, (index, item.kind, event["type"], missing)
            known |= provides(event["payload"], event["type"])

    def test_rule_breaking_postings_and_reports_on_them(self, sample: tuple[TrafficGenerator, list[SimItem]]) -> None:
        generator, items = sample
        postings = [json.loads(i.text)["payload"] for i in items if i.valid and i.type == "posting.created"]
        descriptions = " ".join(p["description"] for p in postings)
        assert "010-" in descriptions or "카톡" in descriptions  # contact details (P4)
        assert any(marker in descriptions for marker in DISCRIMINATION_MARKERS)  # P3
        assert "현금" in descriptions or "송금" in descriptions or "체크카드" in descriptions  # P5
        assert any(p["wage"]["type"] == "hourly" and p["wage"]["amount"] < 10_320 for p in postings)  # P2
        honest = [generator.postings[pid] for pid in generator.postings if not generator.postings[pid].violation]
        assert all(p.payload["wage"]["amount"] >= 10_320 for p in honest if p.payload["wage"]["type"] == "hourly"), (
            "an honest posting must pay at least the minimum"
        )
        reports = [json.loads(i.text)["payload"] for i in items if i.valid and i.type == "report.filed"]
        rule_breaking = set(generator.rule_breaking)
        assert any(r["target"]["id"] in rule_breaking for r in reports)
        hangul = sum(1 for ch in descriptions if "가" <= ch <= "힣")
        assert hangul / len(descriptions) > 0.5  # Korean text

    def test_shares_must_leave_room_for_ordinary_events(self) -> None:
        with pytest.raises(ValueError):
            TrafficGenerator(duplicate_share=0.5, out_of_order_share=0.3, invalid_share=0.2)


def shuffled_in_windows(items: list[SimItem], window: int, seed: int) -> list[SimItem]:
    rng = random.Random(seed)
    out: list[SimItem] = []
    for start in range(0, len(items), window):
        chunk = items[start : start + window]
        rng.shuffle(chunk)
        out.extend(chunk)
    return out


@pytest.mark.django_db
def test_generated_traffic_through_the_processor_rejects_no_valid_event() -> None:
    items = shuffled_in_windows(TrafficGenerator(seed=5).take(400), window=6, seed=1)
    outcomes = []
    # Small batches not aligned with the windows: dependencies often arrive in a later batch (parked first).
    for start in range(0, len(items), 5):
        batch = items[start : start + 5]
        raw = [RawItem(raw=item.text, ref=f"sim-{start + i}") for i, item in enumerate(batch)]
        outcomes.extend(process_batch(raw, transport="redis"))

    statuses = Counter(o.status for o in outcomes)
    rejected_valid = [
        (item.type, item.kind, o.error)
        for item, o in zip(items, outcomes, strict=True)
        if item.valid and o.status == REJECTED
    ]
    assert rejected_valid == []
    assert all(o.status == REJECTED for item, o in zip(items, outcomes, strict=True) if not item.valid)
    # Every resent event is recognised (whichever copy came first), and nothing is left waiting.
    distinct_valid = {item.event_id for item in items if item.valid}
    assert statuses[SEEN_BEFORE] == sum(1 for item in items if item.valid) - len(distinct_valid) > 0
    assert statuses[PARKED] > 0, "the out-of-order pairs and the shuffle must have parked something"
    assert ParkedEvent.objects.count() == 0
    assert InboxEvent.objects.count() == len(distinct_valid)
    assert statuses[APPLIED] + statuses[PARKED] == len(distinct_valid)
    assert DeadLetter.objects.count() == sum(1 for item in items if not item.valid)
    assert Employer.objects.filter(external_id__startswith="sim5-").exists()
    assert JobPosting.objects.filter(external_id__startswith="sim5-").exists()
    assert Seeker.objects.filter(external_id__startswith="sim5-").exists()
    assert Application.objects.filter(external_id__startswith="sim5-").exists()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ListSender:
    transport = "redis"

    def __init__(self) -> None:
        from backoffice.events.simulator import SendTotals

        self.totals = SendTotals()
        self.batches: list[int] = []

    def send(self, items: list[SimItem]) -> None:
        self.batches.append(len(items))
        self.totals.accepted += len(items)


def test_pacing_sends_the_rate_in_ticks() -> None:
    clock = FakeClock()
    sender = ListSender()
    summary = run_traffic(
        TrafficGenerator(seed=1), sender, rate=200, duration=2, monotonic=clock.monotonic, sleep=clock.sleep
    )
    assert summary.sent == 400 == sum(sender.batches)
    assert len(sender.batches) == 20 and max(sender.batches) == 20  # 10 ticks a second, 20 events each
    assert 199 <= summary.actual_rate <= 201
    assert "sent 400 events" in summary.lines()[0]


def test_http_sender_against_the_live_server(live_server: Any) -> None:
    _token, raw = api_token_create(actor=Actor.system("test"), name="simulator", scopes=["events:write"])
    sender = HttpSender(f"{live_server.url}/events/", raw)
    summary = run_traffic(TrafficGenerator(seed=21), sender, rate=60, duration=1.0)
    assert sender.totals.failed_requests == 0, sender.totals.errors
    # A slow server lowers the actual rate (each POST waits for its answer); it never fails the run.
    assert summary.sent >= 10
    assert sender.totals.requests >= 2  # one POST per tick
    answered = sender.totals.accepted + sender.totals.duplicates + sender.totals.rejected
    assert answered == summary.sent
    assert sender.totals.rejected == summary.counts.get(INVALID, 0)
    assert InboxEvent.objects.filter(transport="http").count() > 0
    assert Employer.objects.filter(external_id__startswith="sim21-").exists()


@pytest.mark.django_db
def test_http_transport_without_a_token_explains_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKOFFICE_EVENTS_TOKEN", raising=False)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("simulate_traffic", "--transport", "http", "--duration", "1", stderr=err)
    assert exit_info.value.code == 2
    assert "API tokens" in err.getvalue() and "events:write" in err.getvalue()


def test_http_transport_with_a_refused_token_exits_2(live_server: Any) -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "simulate_traffic",
            "--transport=http",
            f"--url={live_server.url}/events/",
            "--token=bo_not-a-token",
            "--rate=5",
            "--duration=0.5",
            stderr=err,
            stdout=io.StringIO(),
        )
    assert exit_info.value.code == 2
    assert "401" in err.getvalue()
