"""Event handlers by type. Apps register theirs from AppConfig.ready(); backoffice imports no app.

Two kinds:
- a **per-event handler** ``handler(event)`` applies one event (in its own savepoint) and raises
  ``EntityMissingError`` to have it parked;
- a **batch handler** ``handler(events) -> BatchResult`` applies every event of its types in a batch at once,
  with a constant number of statements whatever the batch size (the ingestion path at thousands of events a
  second). It reports the events it parked or rejected; every other event counts as applied. Batch handlers
  run by ``stage`` (lower first: registrations and postings before the reports that refer to them). When one
  raises, the processor rolls its savepoint back and applies that group with the per-event handlers, which
  every type also has.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backoffice.events.schemas import Event


class EntityMissingError(Exception):
    """The event refers to an entity not known yet (e.g. an application before its posting): park it."""

    def __init__(self, key: str) -> None:
        super().__init__(f"waiting for {key}")
        self.key = key


@dataclass
class BatchResult:
    """What a batch handler did not apply: parked (event id → the key it waits for) or rejected (→ reason)."""

    parked: dict[uuid.UUID, str] = field(default_factory=dict)
    rejected: dict[uuid.UUID, str] = field(default_factory=dict)


Handler = Callable[[Event], None]
BatchHandler = Callable[[Sequence[Event]], BatchResult]


@dataclass(frozen=True)
class BatchRegistration:
    stage: int
    types: frozenset[str]
    handler: BatchHandler


_HANDLERS: dict[str, Handler] = {}
_BATCH_HANDLERS: list[BatchRegistration] = []


def register(*event_types: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        for event_type in event_types:
            _HANDLERS[event_type] = handler
        return handler

    return decorator


def register_batch(*event_types: str, stage: int) -> Callable[[BatchHandler], BatchHandler]:
    def decorator(handler: BatchHandler) -> BatchHandler:
        types = frozenset(event_types)
        taken = {
            t for registration in _BATCH_HANDLERS if registration.handler is not handler for t in registration.types
        }
        if types & taken:
            raise ValueError(f"event types with two batch handlers: {sorted(types & taken)}")
        _BATCH_HANDLERS[:] = [r for r in _BATCH_HANDLERS if r.handler is not handler]
        _BATCH_HANDLERS.append(BatchRegistration(stage, types, handler))
        _BATCH_HANDLERS.sort(key=lambda registration: registration.stage)
        return handler

    return decorator


def handler_for(event_type: str) -> Handler | None:
    return _HANDLERS.get(event_type)


def batch_handlers() -> list[BatchRegistration]:
    return list(_BATCH_HANDLERS)
