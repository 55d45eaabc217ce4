"""Event handlers by type. Apps register theirs from AppConfig.ready(); backoffice imports no app."""

from __future__ import annotations

from collections.abc import Callable

from backoffice.events.schemas import Event


class EntityMissingError(Exception):
    """The event refers to an entity not known yet (e.g. an application before its posting): park it."""

    def __init__(self, key: str) -> None:
        super().__init__(f"waiting for {key}")
        self.key = key


Handler = Callable[[Event], None]
_HANDLERS: dict[str, Handler] = {}


def register(*event_types: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        for event_type in event_types:
            _HANDLERS[event_type] = handler
        return handler

    return decorator


def handler_for(event_type: str) -> Handler | None:
    return _HANDLERS.get(event_type)
