"""The event contract (EVENTS.md v1) as code: envelope and payload validation, pure.

Every rejection carries a reason a person can act on ("payload.wage.amount: expected integer"), because it
is shown in the dead-letter admin and returned by the HTTP endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_EVENT_BYTES = 64 * 1024


class EventValidationError(ValueError):
    """The input is not a valid event; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class Event:
    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: dt.datetime
    source: str
    payload: Mapping[str, Any]


# --- field specs ---------------------------------------------------------------------------------------
# A spec is a dict: field -> (kind, required, extra). Kinds: str, int, bool, date, enum, object (nested spec).
Spec = Mapping[str, tuple[str, bool, Any]]

REGION = ("str", True, {"pattern": "region"})
WAGE: Spec = {
    "type": ("enum", True, ("hourly", "daily", "monthly", "per_project")),
    "amount": ("int", True, {"min": 1}),
}
REPORT_PARTY: Spec = {"kind": ("enum", True, ("seeker", "employer")), "id": ("str", True, None)}
REPORT_TARGET: Spec = {"kind": ("enum", True, ("posting", "employer", "seeker")), "id": ("str", True, None)}
POSTING: Spec = {
    "posting_id": ("str", True, None),
    "employer_id": ("str", True, None),
    "title": ("str", True, {"max": 200}),
    "description": ("str", True, None),
    "employment_type": ("enum", True, ("full_time", "part_time", "freelance")),
    "wage": ("object", True, WAGE),
    "hours_per_week": ("int", False, {"min": 1, "max": 168}),
    "region_code": REGION,
    "category": (
        "enum",
        True,
        (
            "food_service",
            "retail",
            "delivery",
            "office",
            "customer_service",
            "manufacturing",
            "cleaning",
            "care",
            "education",
            "it",
            "events",
            "errands",
        ),
    ),
    "starts_on": ("date", False, None),
    "ends_on": ("date", False, None),
}

PAYLOADS: Mapping[tuple[str, int], Spec] = {
    ("employer.registered", 1): {
        "employer_id": ("str", True, None),
        "business_name": ("str", True, {"max": 200}),
        "business_number": ("str", False, {"pattern": "business_number"}),
        "phone": ("str", True, {"max": 32}),
        "region_code": REGION,
        "verified": ("bool", True, None),
    },
    ("seeker.registered", 1): {
        "seeker_id": ("str", True, None),
        "display_name": ("str", True, {"max": 100}),
        "phone": ("str", True, {"max": 32}),
        "birth_year": ("int", False, {"min": 1900, "max": 2100}),
        "region_code": REGION,
    },
    ("posting.created", 1): POSTING,
    ("posting.updated", 1): POSTING,
    ("posting.closed", 1): {
        "posting_id": ("str", True, None),
        "reason": ("enum", True, ("filled", "cancelled", "other")),
    },
    ("application.submitted", 1): {
        "application_id": ("str", True, None),
        "posting_id": ("str", True, None),
        "seeker_id": ("str", True, None),
        "message": ("str", False, None),
    },
    ("application.status_changed", 1): {
        "application_id": ("str", True, None),
        "status": ("enum", True, ("viewed", "shortlisted", "hired", "rejected", "withdrawn")),
    },
    ("report.filed", 1): {
        "report_id": ("str", True, None),
        "reporter": ("object", True, REPORT_PARTY),
        "target": ("object", True, REPORT_TARGET),
        "reason": (
            "enum",
            True,
            ("scam", "illegal_wage", "discrimination", "inappropriate", "spam", "duplicate", "other"),
        ),
        "text": ("str", False, None),
    },
}
KNOWN_TYPES = frozenset(t for t, _v in PAYLOADS)


def _check_value(path: str, value: Any, kind: str, extra: Any) -> Any:
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise EventValidationError(f"{path}: expected a non-empty string")
        extra = extra or {}
        if "max" in extra and len(value) > extra["max"]:
            raise EventValidationError(f"{path}: longer than {extra['max']} characters")
        pattern = extra.get("pattern")
        if pattern == "region" and not (len(value) == 10 and value.isdigit()):
            raise EventValidationError(f"{path}: expected a 10-digit region code")
        if pattern == "business_number" and not (len(value) == 10 and value.isdigit()):
            raise EventValidationError(f"{path}: expected 10 digits")
        return value
    if kind == "int":
        # bool is an int in Python; JSON true is not a number.
        if not isinstance(value, int) or isinstance(value, bool):
            raise EventValidationError(f"{path}: expected an integer")
        extra = extra or {}
        if "min" in extra and value < extra["min"]:
            raise EventValidationError(f"{path}: must be at least {extra['min']}")
        if "max" in extra and value > extra["max"]:
            raise EventValidationError(f"{path}: must be at most {extra['max']}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise EventValidationError(f"{path}: expected true or false")
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise EventValidationError(f"{path}: expected a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise EventValidationError(f"{path}: expected a date (YYYY-MM-DD)") from None
    if kind == "enum":
        if value not in extra:
            raise EventValidationError(f"{path}: expected one of {', '.join(extra)}")
        return value
    if kind == "object":
        if not isinstance(value, Mapping):
            raise EventValidationError(f"{path}: expected an object")
        return _check_object(path, value, extra)
    raise AssertionError(kind)


def _check_object(path: str, data: Mapping[str, Any], spec: Spec) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, (kind, required, extra) in spec.items():
        value = data.get(name)
        if value is None:
            if required:
                raise EventValidationError(f"{path}.{name}: required")
            continue
        cleaned[name] = _check_value(f"{path}.{name}", value, kind, extra)
    # Unknown fields are kept out (additive contract changes are optional fields; ignoring them is safe).
    return cleaned


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise EventValidationError("occurred_at: expected an ISO 8601 time with an offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise EventValidationError("occurred_at: expected an ISO 8601 time with an offset") from None
    if parsed.tzinfo is None:
        raise EventValidationError("occurred_at: the time needs an offset (e.g. +09:00)")
    return parsed


def decode(raw: bytes | str) -> Mapping[str, Any]:
    """Bytes or text → the envelope object, or EventValidationError (size, encoding, JSON, shape)."""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_EVENT_BYTES:
        raise EventValidationError(f"event is {size} bytes, over the 64 KiB limit")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EventValidationError(f"not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise EventValidationError("an event must be a JSON object")
    return data


def validate(data: Mapping[str, Any]) -> Event:
    """An envelope object → a validated Event, or EventValidationError with the first problem found."""
    raw_id = data.get("event_id")
    if not isinstance(raw_id, str):
        raise EventValidationError("event_id: required (a UUID)")
    try:
        event_id = uuid.UUID(raw_id)
    except ValueError:
        raise EventValidationError("event_id: not a UUID") from None
    event_type = data.get("type")
    if not isinstance(event_type, str):
        raise EventValidationError("type: required")
    if event_type not in KNOWN_TYPES:
        raise EventValidationError(f"type: unknown event type {event_type!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise EventValidationError("version: required (an integer)")
    spec = PAYLOADS.get((event_type, version))
    if spec is None:
        raise EventValidationError(f"version: {event_type} version {version} is not supported")
    occurred_at = parse_datetime(data.get("occurred_at"))
    payload = data.get("payload")
    if not isinstance(payload, Mapping):
        raise EventValidationError("payload: required (an object)")
    source = data.get("source")
    return Event(
        event_id=event_id,
        type=event_type,
        version=version,
        occurred_at=occurred_at,
        source=source if isinstance(source, str) and source else "marketplace",
        payload=_check_object("payload", payload, spec),
    )


def parse(raw: bytes | str) -> Event:
    return validate(decode(raw))
