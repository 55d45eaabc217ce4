"""What every list-shaped action returns, and the one way a domain error becomes words.

Each write in jobs and moderation is one function over a sequence of requests (Zulip's
``do_send_messages(requests)``): the ingestion consumer calls it with a batch, the admin, GraphQL and Celery
with a list of one. So the result is per item: applied, unchanged (stale or a no-op), parked (its entity is
not known yet) or rejected (with a ``DomainError`` that names its code). Callers of one item use ``one()``,
which returns the value or raises the item's error.

Errors carry a declared ``ErrorCode``: GraphQL maps them by that code (never by exception class name), the
HTTP and stream transports store ``error_message(exc)`` as the dead letter's reason, the admin shows the same
text. That formatter is the only one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")


class ErrorCode(models.TextChoices):
    """Why an action refused an item. Stable strings: GraphQL clients read them as ``extensions.code``."""

    INVALID = "INVALID", _("invalid input")
    NOT_FOUND = "NOT_FOUND", _("not found")
    ALREADY_EXISTS = "ALREADY_EXISTS", _("already exists")
    INVALID_TRANSITION = "INVALID_TRANSITION", _("status change not allowed")
    PERMISSION_DENIED = "PERMISSION_DENIED", _("permission denied")
    STALE = "STALE", _("changed meanwhile")
    CLAIM_CONFLICT = "CLAIM_CONFLICT", _("claimed by someone else")
    CONFLICT = "CONFLICT", _("conflicts with the current state")


class DomainError(ValidationError):
    """A refusal a person must read: the message says what happened and what to do; ``code`` says what kind.

    A ``ValidationError`` so forms and the admin show it where they show field errors (a dict names fields)."""

    default_code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: Any, code: ErrorCode | None = None, params: Any = None) -> None:
        super().__init__(message, code=str(code or self.default_code), params=params)
        self.error_code = ErrorCode(code or self.default_code)


class InvalidTransitionError(DomainError):
    """A status change the state machine does not allow (e.g. re-opening a closed posting)."""

    default_code = ErrorCode.INVALID_TRANSITION


def error_code(exc: BaseException) -> ErrorCode:
    """The declared code of any error an action or a form can raise."""
    if isinstance(exc, DomainError):
        return exc.error_code
    if isinstance(exc, PermissionDenied):
        return ErrorCode.PERMISSION_DENIED
    return ErrorCode.INVALID


def error_message(exc: BaseException) -> str:
    """One line for a person: field errors as ``field: message``, others as their message (translated where
    the action translated it: under the request's language, or the product's default for workers)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{name}: {' '.join(str(m) for m in messages)}" if name != "__all__" else " ".join(map(str, messages))
                for name, messages in exc.message_dict.items()
            )
        return "; ".join(str(m) for m in exc.messages)
    return str(exc)


class OutcomeStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    UNCHANGED = "unchanged", _("unchanged")  # stale (older than the state held) or nothing to change
    PARKED = "parked", _("parked")  # waits for an entity not known yet (``waiting_for``)
    REJECTED = "rejected", _("rejected")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    status: OutcomeStatus
    value: T | None = None
    waiting_for: str = ""
    error: DomainError | None = None

    @property
    def reason(self) -> str:
        return error_message(self.error) if self.error is not None else ""

    @classmethod
    def applied(cls, value: T) -> Outcome[T]:
        return cls(OutcomeStatus.APPLIED, value)

    @classmethod
    def unchanged(cls, value: T | None) -> Outcome[T]:
        return cls(OutcomeStatus.UNCHANGED, value)

    @classmethod
    def parked(cls, key: str) -> Outcome[T]:
        return cls(OutcomeStatus.PARKED, waiting_for=key)

    @classmethod
    def rejected(cls, error: DomainError) -> Outcome[T]:
        return cls(OutcomeStatus.REJECTED, error=error)


def one(outcomes: Sequence[Outcome[T]]) -> T:
    """The value of a one-item call, or its error raised (staff entry points: the form shows it)."""
    (outcome,) = outcomes
    if outcome.status == OutcomeStatus.REJECTED:
        assert outcome.error is not None
        raise outcome.error
    if outcome.status == OutcomeStatus.PARKED:
        raise DomainError(_("%(key)s is not known.") % {"key": outcome.waiting_for}, code=ErrorCode.NOT_FOUND)
    assert outcome.value is not None
    return outcome.value


def as_domain_error(exc: ValidationError) -> DomainError:
    """A model field validator's error as a domain error (same messages, code INVALID)."""
    if isinstance(exc, DomainError):
        return exc
    if hasattr(exc, "error_dict"):
        return DomainError(exc.message_dict)
    return DomainError(exc.messages)
