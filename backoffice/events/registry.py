"""Event handlers by type. Apps register theirs from AppConfig.ready(); backoffice imports no app.

One kind of handler: ``handler(events) -> BatchResult`` applies every event of its types in a batch by
calling the app's list-shaped action once (a constant number of statements per batch, whatever its size),
and reports the events it parked or rejected; every other event counts as applied. Handlers run by
``stage`` (lower first: registrations and postings before the applications and reports that refer to them).
When one raises (a concurrent consumer inserted the same new entity first, say), the processor rolls its
savepoint back and calls the same handler with each event alone, each in its own savepoint: the fallback is
the same code with lists of one, not a second implementation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backoffice.actions import Outcome, OutcomeStatus
from backoffice.events.schemas import Event


@dataclass
class BatchResult:
    """What a handler did not apply: parked (event id → the key it waits for) or rejected (→ reason)."""

    parked: dict[uuid.UUID, str] = field(default_factory=dict)
    rejected: dict[uuid.UUID, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[Event, Outcome[Any]]]) -> BatchResult:
        """The result of an action's outcomes, paired with the events they came from."""
        result = cls()
        for event, outcome in pairs:
            if outcome.status == OutcomeStatus.PARKED:
                result.parked[event.event_id] = outcome.waiting_for
            elif outcome.status == OutcomeStatus.REJECTED:
                result.rejected[event.event_id] = outcome.reason
        return result


BatchHandler = Callable[[Sequence[Event]], BatchResult]


@dataclass(frozen=True)
class Registration:
    stage: int
    types: frozenset[str]
    handler: BatchHandler


_HANDLERS: list[Registration] = []


def register(*event_types: str, stage: int) -> Callable[[BatchHandler], BatchHandler]:
    def decorator(handler: BatchHandler) -> BatchHandler:
        types = frozenset(event_types)
        taken = {t for registration in _HANDLERS if registration.handler is not handler for t in registration.types}
        if types & taken:
            raise ValueError(f"event types with two handlers: {sorted(types & taken)}")
        _HANDLERS[:] = [r for r in _HANDLERS if r.handler is not handler]
        _HANDLERS.append(Registration(stage, types, handler))
        _HANDLERS.sort(key=lambda registration: registration.stage)
        return handler

    return decorator


def handlers() -> list[Registration]:
    return list(_HANDLERS)


def handled_types() -> frozenset[str]:
    return frozenset(t for registration in _HANDLERS for t in registration.types)
