"""The event processor and the HTTP transport: exactly once in effect, order-independent, nothing lost."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.audit import Actor
from backoffice.events.processor import RawItem, expire_parked, process_batch
from backoffice.events.schemas import EventValidationError, parse
from backoffice.events.tokens import api_token_create
from backoffice.models import DeadLetter, InboxEvent, ParkedEvent
from jobs.models import Application, Employer, JobPosting
from moderation.models import Case, Report
from tests import events_factory as ev

pytestmark = pytest.mark.django_db


def run(*events: object, transport: str = "redis") -> list[str]:
    items = [
        RawItem(raw=json.dumps(e, ensure_ascii=False) if isinstance(e, dict) else e, ref=f"t-{i}")
        for i, e in enumerate(events)
    ]
    return [o.status for o in process_batch(items, transport=transport)]


class TestExactlyOnce:
    def test_applies_and_records_each_event_once(self) -> None:
        batch = [ev.employer(), ev.seeker(), ev.posting(minutes=1), ev.application(minutes=2), ev.report(minutes=3)]
        assert run(*batch) == ["applied"] * 5
        assert run(*batch) == ["duplicate"] * 5  # redelivery
        assert InboxEvent.objects.count() == 5
        assert JobPosting.objects.get().application_count == 1
        assert Report.objects.count() == 1 and Case.objects.count() == 1

    def test_duplicates_inside_one_batch(self) -> None:
        event = ev.employer()
        assert run(event, event) == ["applied", "duplicate"]

    def test_newest_occurred_at_wins_whatever_the_arrival_order(self) -> None:
        run(ev.employer())
        newer = ev.posting(event_type="posting.updated", title="새 제목", minutes=10)
        older = ev.posting(event_type="posting.created", title="옛 제목", minutes=1)
        assert run(newer) == ["applied"]  # the update overtook the create and creates the posting
        assert run(older) == ["applied"]  # recorded, but older than the state: changes nothing
        assert JobPosting.objects.get().title == "새 제목"

    def test_unknown_entity_is_parked_then_applied_when_it_arrives(self) -> None:
        assert run(ev.application(minutes=5)) == ["parked"]
        assert run(ev.posting(minutes=1)) == ["parked"]  # its employer is not known either
        assert ParkedEvent.objects.count() == 2
        assert run(ev.employer(), ev.seeker()) == ["applied", "applied"]
        assert ParkedEvent.objects.count() == 0
        assert Application.objects.count() == 1 and InboxEvent.objects.count() == 4
        # Re-delivery of a once-parked event is still a duplicate.
        assert run(ev.application(event_id=str(InboxEvent.objects.get(type="application.submitted").event_id))) == [
            "duplicate"
        ]

    def test_parked_too_long_is_dead_lettered_with_a_reason(self, settings) -> None:  # type: ignore[no-untyped-def]
        run(ev.application(application_id="a-lost", posting_id="p-never"))
        assert expire_parked(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)) == 1
        letter = DeadLetter.objects.get()
        assert "posting:p-never never arrived" in letter.reason
        assert "a-lost" in letter.raw


BAD_INPUTS = [
    ("{not json", "not valid JSON"),
    (json.dumps([1, 2]), "must be a JSON object"),
    (json.dumps({**ev.employer(), "type": "employer.deleted"}), "unknown event type"),
    (json.dumps({**ev.employer(), "version": 2}), "version 2 is not supported"),
    (json.dumps({**ev.employer(), "event_id": "nope"}), "event_id: not a UUID"),
    (json.dumps({**ev.employer(), "occurred_at": "2026-11-25T09:00:00"}), "needs an offset"),
    (json.dumps({k: v for k, v in ev.employer().items() if k != "payload"}), "payload: required"),
    (json.dumps(ev.envelope("employer.registered", {"employer_id": "e-9"})), "payload.business_name: required"),
    (json.dumps(ev.envelope("posting.closed", {"posting_id": "p", "reason": 3})), "payload.reason: expected one of"),
    (
        json.dumps(
            ev.envelope(
                "seeker.registered", {"seeker_id": "s", "display_name": "x", "phone": "1", "region_code": "seoul"}
            )
        ),
        "10-digit region code",
    ),
    (json.dumps({**ev.employer(), "pad": "x" * 70_000}), "over the 64 KiB limit"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_INPUTS)
def test_bad_input_is_dead_lettered_with_reason_and_raw_payload(raw: str, reason: str) -> None:
    assert run(raw, ev.seeker()) == ["rejected", "applied"]  # and processing goes on
    letter = DeadLetter.objects.get()
    assert reason in letter.reason
    assert letter.raw == raw


def test_business_rule_rejection_is_dead_lettered_not_crashed() -> None:
    run(ev.employer())
    bad = ev.posting()
    bad["payload"]["starts_on"], bad["payload"]["ends_on"] = "2026-12-10", "2026-12-01"
    assert run(bad) == ["rejected"]
    assert "end" in DeadLetter.objects.get().reason.lower()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
        max_leaves=20,
    ),
    event_type=st.sampled_from(
        ["employer.registered", "posting.created", "report.filed", "application.status_changed", "x"]
    ),
)
def test_arbitrary_payloads_are_applied_or_dead_lettered_never_crash(payload: object, event_type: str) -> None:
    before = DeadLetter.objects.count()
    statuses = run(json.dumps({**ev.envelope(event_type, {}), "payload": payload}))
    assert statuses[0] in {"applied", "parked", "rejected"}
    if statuses[0] == "rejected":
        assert DeadLetter.objects.count() == before + 1


@given(raw=st.binary(max_size=200))
def test_parse_never_raises_anything_but_a_validation_error(raw: bytes) -> None:
    with contextlib.suppress(EventValidationError):
        parse(raw)


class TestHttpTransport:
    def token(self, *scopes: str) -> str:
        _token, raw = api_token_create(
            actor=Actor.system(), name=f"svc-{len(scopes)}-{'-'.join(scopes)}", scopes=scopes
        )
        return raw

    def post(self, body: object, token: str | None, raw: bytes | None = None) -> object:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else json.dumps(body)
        return Client().post("/events/", data=data, content_type="application/json", **headers)

    def test_contract_statuses(self) -> None:
        good = self.token("events:write")
        assert self.post({"events": []}, None).status_code == 401
        assert self.post({"events": []}, "bo_wrong").status_code == 401
        assert self.post({"events": []}, self.token("jobs:read")).status_code == 403
        assert self.post(None, good, raw=b"{oops").status_code == 400
        assert self.post({"items": []}, good).status_code == 400
        assert self.post({"events": [ev.employer() for _ in range(501)]}, good).status_code == 413

    def test_accepts_reports_duplicates_and_rejections_by_index(self) -> None:
        good = self.token("events:write")
        batch = [ev.employer(), {"type": "nope"}, ev.application()]
        response = self.post({"events": batch}, good)
        assert response.status_code == 200
        body = response.json()
        assert body["accepted"] == 2 and body["duplicates"] == 0  # the application is parked: accepted
        assert body["rejected"][0]["index"] == 1 and "event_id" in body["rejected"][0]["error"]
        again = self.post({"events": batch[:1]}, good).json()
        assert again == {"accepted": 0, "duplicates": 1, "rejected": []}
        assert Employer.objects.count() == 1
