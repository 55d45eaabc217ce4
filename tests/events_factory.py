"""Builders of EVENTS.md envelopes for tests, the simulator's shape without its randomness."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

BASE = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def envelope(
    event_type: str, payload: dict[str, Any], *, minutes: float = 0, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": (BASE + dt.timedelta(minutes=minutes)).isoformat(),
        "source": "marketplace-api",
        "payload": payload,
    }


def employer(employer_id: str = "e-1", **kw: Any) -> dict[str, Any]:
    payload = {
        "employer_id": employer_id,
        "business_name": "행복식당 역삼점",
        "business_number": "1234567890",
        "phone": "02-555-0100",
        "region_code": "1168010100",
        "verified": True,
    }
    return envelope("employer.registered", payload, **kw)


def seeker(seeker_id: str = "s-1", **kw: Any) -> dict[str, Any]:
    payload = {"seeker_id": seeker_id, "display_name": "김민준", "phone": "010-0000-0000", "region_code": "1144012400"}
    return envelope("seeker.registered", payload, **kw)


def posting(
    posting_id: str = "p-1",
    employer_id: str = "e-1",
    event_type: str = "posting.created",
    title: str = "주말 홀서빙",
    **kw: Any,
) -> dict[str, Any]:
    payload = {
        "posting_id": posting_id,
        "employer_id": employer_id,
        "title": title,
        "description": "역삼역 근처 식당에서 주말 홀서빙 하실 분을 찾습니다.",
        "employment_type": "part_time",
        "wage": {"type": "hourly", "amount": 11000},
        "hours_per_week": 16,
        "region_code": "1168010100",
        "category": "food_service",
    }
    return envelope(event_type, payload, **kw)


def application(
    application_id: str = "a-1", posting_id: str = "p-1", seeker_id: str = "s-1", **kw: Any
) -> dict[str, Any]:
    payload = {
        "application_id": application_id,
        "posting_id": posting_id,
        "seeker_id": seeker_id,
        "message": "지원합니다",
    }
    return envelope("application.submitted", payload, **kw)


def report(report_id: str = "r-1", target_id: str = "p-1", **kw: Any) -> dict[str, Any]:
    payload = {
        "report_id": report_id,
        "reporter": {"kind": "seeker", "id": "s-1"},
        "target": {"kind": "posting", "id": target_id},
        "reason": "scam",
        "text": "사기 같아요",
    }
    return envelope("report.filed", payload, **kw)
