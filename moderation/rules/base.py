"""What every screening rule shares: the posting as rules see it, hits with evidence, and the kind registry.

A rule kind is a small class: its constructor parses and checks the admin-edited ``config`` once (compiling
patterns), and ``evaluate(view)`` is pure — no database, no clock, no settings — so the same code screens a
new posting, runs a dry run over last week's postings and runs in the benchmark. Everything a rule needs
(the minimum-wage table, the employer's recent postings) is loaded by the caller into the ``PostingView``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError

from jobs.policies import MinimumWageTable
from moderation.rules import minhash
from moderation.rules.normalize import Normalized, clean, compact, compact_text, digits

TITLE = "title"
DESCRIPTION = "description"
FIELDS = (TITLE, DESCRIPTION)


# --- evidence ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the ORIGINAL posting text (what ``moderation.presenters.highlight`` marks)."""

    field: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Hit:
    """A rule fired: why, in words (``summary``), where (``spans``) and with which figures (``numbers``).

    ``details`` holds the rest a moderator may need (matched phrases, the other posting of a duplicate);
    JSON-native values only, since it is stored as it is in ``RuleHit.evidence``."""

    summary: str
    spans: tuple[Span, ...] = ()
    numbers: Mapping[str, int | float | str | None] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "summary": self.summary,
            "spans": [span.as_dict() for span in self.spans],
            "numbers": dict(self.numbers),
        }
        if self.details:
            evidence["details"] = dict(self.details)
        return evidence


def evidence_identity(evidence: Mapping[str, Any]) -> str:
    """What makes two hits the same finding: spans, numbers and details — not the summary, whose words
    depend on the language active when the posting was screened."""
    return json.dumps(
        {key: evidence.get(key) for key in ("spans", "numbers", "details")},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


# --- the posting as rules see it ---------------------------------------------------------------------------
class FieldText:
    """One text field with its normalised views, each computed on first use and shared by all rules."""

    __slots__ = ("_clean", "_compact", "_digits", "name", "original")

    def __init__(self, name: str, original: str) -> None:
        self.name = name
        self.original = original
        self._clean: Normalized | None = None
        self._compact: Normalized | None = None
        self._digits: Normalized | None = None

    @property
    def clean(self) -> Normalized:
        if self._clean is None:
            self._clean = clean(self.original)
        return self._clean

    @property
    def compact(self) -> Normalized:
        if self._compact is None:
            self._compact = compact(self.clean)
        return self._compact

    @property
    def digits(self) -> Normalized:
        if self._digits is None:
            self._digits = digits(self.clean)
        return self._digits

    def span(self, view: Normalized, start: int, end: int) -> Span:
        """The evidence span of ``[start, end)`` in ``view`` (one of this field's views), in original offsets."""
        original_start, original_end = view.to_original(start, end)
        return Span(self.name, original_start, original_end, self.original[original_start:original_end])


def fingerprint_text(title: str, description: str) -> str:
    """The text near-duplicates are compared on: both fields in compact form (spacing, punctuation, case and
    full-width characters do not make a re-post look new)."""
    return compact_text(title) + "\n" + compact_text(description)


@dataclass(slots=True)
class HistoryEntry:
    """One of the employer's other postings: enough to compare with and to name in the evidence."""

    posting_id: int
    created_at: dt.datetime
    status: str = ""
    external_id: str = ""
    title: str = ""
    description: str = ""
    _sketch: minhash.Sketch | None = None

    @property
    def sketch(self) -> minhash.Sketch:
        if self._sketch is None:
            self._sketch = content_sketch(self.title, self.description)
        return self._sketch


@functools.lru_cache(maxsize=10_000)
def content_sketch(title: str, description: str) -> minhash.Sketch:
    """The MinHash sketch of a posting's content, remembered across batches: an employer's recent postings are
    compared with every new one of theirs, batch after batch, and their text rarely changes (≈10 MB at most)."""
    return minhash.sketch(fingerprint_text(title, description))


class EmployerHistory:
    """An employer's postings around the screened ones, oldest first.

    Shared by every view of the same employer in a batch (screening, dry run), so each posting's sketch is
    computed once however many postings it is compared with."""

    __slots__ = ("_by_id", "_keys", "entries")

    def __init__(self, entries: Iterable[HistoryEntry] = ()) -> None:
        self.entries: list[HistoryEntry] = sorted(entries, key=lambda e: (e.created_at, e.posting_id))
        self._keys = [(e.created_at, e.posting_id) for e in self.entries]
        self._by_id: dict[int, HistoryEntry] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, posting_id: int) -> HistoryEntry | None:
        if self._by_id is None:
            self._by_id = {e.posting_id: e for e in self.entries}
        return self._by_id.get(posting_id)

    def _position(self, created_at: dt.datetime, posting_id: int | None) -> int:
        """Index of the first entry not strictly before (created_at, posting_id) in posting order."""
        key = (created_at, math.inf if posting_id is None else posting_id)
        return bisect.bisect_left(self._keys, key)  # type: ignore[arg-type]

    def window(self, created_at: dt.datetime, posting_id: int | None, since: dt.datetime) -> tuple[int, int]:
        """Positions ``[lo, hi)`` of the postings created at or after ``since`` and before this one."""
        hi = self._position(created_at, posting_id)
        lo = bisect.bisect_left(self._keys, (since, -math.inf))  # type: ignore[arg-type]
        return min(lo, hi), hi

    def count_since(self, created_at: dt.datetime, posting_id: int | None, since: dt.datetime) -> int:
        """Postings created after ``since`` and before this one (this one not included)."""
        end = self._position(created_at, posting_id)
        start = bisect.bisect_right(self._keys, (since, math.inf))  # type: ignore[arg-type]
        return max(0, end - start)


EMPTY_HISTORY = EmployerHistory()


@dataclass(frozen=True)
class PostingView:
    """A posting as the rules see it: plain values, no ORM, plus what the caller loaded for the rules."""

    title: str
    description: str
    employment_type: str
    wage_type: str
    wage_amount: int
    created_at: dt.datetime
    # The date the minimum wage is judged by when the work has no start date (publication, else creation).
    judged_on: dt.date
    posting_id: int | None = None
    employer_id: int | None = None
    hours_per_week: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    wage_table: MinimumWageTable | None = None
    history: EmployerHistory = EMPTY_HISTORY

    @functools.cached_property
    def fields(self) -> tuple[FieldText, FieldText]:
        return FieldText(TITLE, self.title), FieldText(DESCRIPTION, self.description)

    @functools.cached_property
    def sketch(self) -> minhash.Sketch:
        # The posting is usually in its employer's history too (same batch): one sketch for both.
        entry = self.history.entry(self.posting_id) if self.posting_id is not None and len(self.history) else None
        same_text = entry is not None and entry.title == self.title and entry.description == self.description
        if entry is not None and same_text and entry._sketch is not None:
            return entry._sketch
        title, description = self.fields
        # Same text as fingerprint_text(), from the compact views the keyword rules already computed.
        sketch = minhash.sketch(title.compact.text + "\n" + description.compact.text)
        if entry is not None and same_text:
            entry._sketch = sketch
        return sketch


# --- rule kinds --------------------------------------------------------------------------------------------
class ConfigError(ValidationError):
    """A rule's configuration cannot be used; the message says which key and why."""


class Config:
    """Typed reads of a rule's JSON config with messages staff can act on (unknown keys are refused: a typo
    such as "phrase" for "phrases" would otherwise silently disable part of a rule)."""

    def __init__(self, raw: Any, allowed: Iterable[str]) -> None:
        if not isinstance(raw, Mapping):
            raise ConfigError('The configuration must be a JSON object, e.g. {"phrases": [...]}.')
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise ConfigError(
                f"Unknown configuration key(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
            )
        self.raw = raw

    def strings(self, key: str, *, required: bool = False, max_items: int = 500) -> list[str]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f'"{key}" must be a list of strings.')
        items = [item.strip() for item in value if item.strip()]
        if required and not items:
            raise ConfigError(f'"{key}" must list at least one non-empty string.')
        if len(items) > max_items:
            raise ConfigError(f'"{key}" has {len(items)} items; at most {max_items} are allowed.')
        return items

    def number(self, key: str, default: float, *, minimum: float, maximum: float, integer: bool = False) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            raise ConfigError(f'"{key}" must be {"a whole number" if integer else "a number"}.')
        if not minimum <= value <= maximum:
            raise ConfigError(f'"{key}" must be between {minimum:g} and {maximum:g}.')
        return value

    def optional_int(self, key: str, *, minimum: int, maximum: int) -> int | None:
        if self.raw.get(key) is None:
            return None
        return int(self.number(key, 0, minimum=minimum, maximum=maximum, integer=True))

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f'"{key}" must be true or false.')
        return value

    def text(self, key: str, *, required: bool = True, max_length: int = 2000) -> str:
        value = self.raw.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise ConfigError(f'"{key}" must be a non-empty string.')
        if len(value) > max_length:
            raise ConfigError(f'"{key}" is longer than {max_length} characters.')
        return value

    def fields(self) -> tuple[str, ...]:
        names = self.strings("fields") or list(FIELDS)
        unknown = [name for name in names if name not in FIELDS]
        if unknown:
            raise ConfigError(f'"fields" may only name {" and ".join(FIELDS)}.')
        return tuple(names)


class Evaluator(ABC):
    """One rule kind. Subclasses set ``kind``, parse ``config`` in ``__init__`` and implement ``evaluate``."""

    kind: ClassVar[str]
    # Shown in the admin next to the config field.
    example_config: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    @property
    def history_days(self) -> float:
        """Days of the employer's earlier postings this rule reads (0: none, the caller may skip loading)."""
        return 0

    @property
    def needs_wage_table(self) -> bool:
        return False

    @abstractmethod
    def evaluate(self, view: PostingView) -> Hit | None:
        """The hit, or None when the posting does not break this rule. Must not raise on any text."""


_REGISTRY: dict[str, type[Evaluator]] = {}


def register(cls: type[Evaluator]) -> type[Evaluator]:
    _REGISTRY[cls.kind] = cls
    return cls


def evaluator_class(kind: str) -> type[Evaluator]:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ConfigError(f"Unknown rule kind {kind!r}.") from None


def registered_kinds() -> Sequence[str]:
    return tuple(_REGISTRY)


@functools.lru_cache(maxsize=256)
def _compile(kind: str, config_json: str) -> Evaluator:
    return evaluator_class(kind)(json.loads(config_json))


def compile_rule(kind: str, config: Mapping[str, Any]) -> Evaluator:
    """The evaluator for a rule's kind and config, compiled once per distinct config (patterns, phrases)."""
    return _compile(kind, json.dumps(config, sort_keys=True, ensure_ascii=False))


def validate_config(kind: str, config: Any) -> None:
    """Raise ``ConfigError`` (a ``ValidationError``) when ``config`` is unusable for ``kind``."""
    if not isinstance(config, Mapping):
        raise ConfigError("The configuration must be a JSON object.")
    compile_rule(kind, config)
