"""Text normalisation for screening, with a map back to the original text.

People write around filters (DOMAIN.md, "Obfuscation"): full-width digits, zero-width characters, spaces and
dashes inside words and numbers, digits spelled as Hangul syllables (공일공) or as letters (o1o). Rules match
the normalised text; the evidence a moderator sees must still point at the original characters, so every
normalised view keeps, for each of its characters, the original span it came from.

Three views per text, each derived once per posting and shared by all rules:

- ``clean``: NFKC (full-width → ASCII, ① → 1, ㎏ → kg) without invisible characters. Hangul compatibility
  jamo (ㅋㅌ, 텔ㄹ) are kept as written: NFKC would turn them into conjoining jamo, which nobody types.
- ``compact``: ``clean`` without spacing and filler punctuation, ASCII lower-cased — for spacing-insensitive
  phrase matching ("현 금 수 거", "현금-수거").
- ``digits``: ``clean`` with digit words replaced by digits, character for character, only inside long
  digit-like runs (so 이사, 오일, 일당 stay words; 공일공-일이삼사-오육칠팔 becomes 010-1234-5678).

Pure functions, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

# Invisible characters used to split words without a visible change: zero-width space/joiners, word joiner,
# BOM, soft hyphen, Mongolian vowel separator, bidi controls.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
# Hangul compatibility jamo (ㄱ … ㅣ): kept as typed (see the module docstring).
_COMPAT_JAMO_RE = re.compile("[\u3131-\u318e]")
# Splits text into pieces that may need per-character work (invisible characters, compatibility jamo).
_SPECIAL_RE = re.compile(f"[{_INVISIBLE}\u3131-\u318e]")

# Dropped in the compact view: spacing and the punctuation people put between syllables to break words.
_COMPACT_DROP_RE = re.compile(r"[\s.,·ㆍ•∙*_\-~!?/|'\"`^+=:;]+")
_COMPACT_KEEP_RE = re.compile(r"[^\s.,·ㆍ•∙*_\-~!?/|'\"`^+=:;]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

HANGUL_DIGITS = {
    "공": "0",
    "영": "0",
    "빵": "0",
    "일": "1",
    "이": "2",
    "삼": "3",
    "사": "4",
    "오": "5",
    "육": "6",
    "륙": "6",
    "칠": "7",
    "팔": "8",
    "구": "9",
}
LETTER_DIGITS = {"o": "0", "O": "0", "l": "1", "I": "1"}
_DIGITISH = "0-9" + "".join(HANGUL_DIGITS) + "".join(LETTER_DIGITS)
# Separators allowed between the digits of one number (also used by the phone pattern).
DIGIT_SEPARATORS = r"[ \t\-.·_)(]"
# A digit-like run long enough to be a phone number (≥ 9 digit-like characters, ≤ 2 separators apart). Short
# runs are never converted, so ordinary words made of digit syllables (이사, 오일, 사일) stay words.
_DIGIT_RUN_RE = re.compile(rf"[{_DIGITISH}](?:{DIGIT_SEPARATORS}{{0,2}}[{_DIGITISH}]){{8,}}")
_MIN_REAL_DIGITS_IN_RUN = 7
_ASCII_DIGITS = frozenset("0123456789")


class Normalized:
    """A normalised text and, per normalised character, the original span ``[starts[i], ends[i])``.

    The map is None when the text is unchanged (the common case: most postings are already NFKC and free of
    invisible characters), which keeps it free; a view may also build its map only when first asked (the
    compact view: most postings match no phrase, so most maps would never be read)."""

    __slots__ = ("_build", "_ends", "_starts", "original", "text")

    def __init__(
        self,
        original: str,
        text: str,
        starts: list[int] | None,
        ends: list[int] | None,
        build: Callable[[], tuple[list[int], list[int]]] | None = None,
    ) -> None:
        self.original = original
        self.text = text
        self._starts = starts
        self._ends = ends
        self._build = build

    @property
    def starts(self) -> list[int] | None:
        self._materialise()
        return self._starts

    @property
    def ends(self) -> list[int] | None:
        self._materialise()
        return self._ends

    def _materialise(self) -> None:
        if self._build is not None:
            self._starts, self._ends = self._build()
            self._build = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised span ``[start, end)`` (end > start)."""
        starts, ends = self.starts, self.ends
        if starts is None or ends is None:
            return start, end
        return starts[start], ends[end - 1]


def _segments(text: str) -> list[tuple[int, int]]:
    """Spans of a base character with the combining marks and conjoining jamo that belong to it: NFKC is
    applied per segment so that every output character maps to the input characters it came from."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n:
            ch = text[j]
            if unicodedata.combining(ch) or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff":
                j += 1
            else:
                break
        spans.append((i, j))
        i = j
    return spans


def _clean_chunk(text: str, offset: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    if unicodedata.is_normalized("NFKC", text):
        out.append(text)
        starts.extend(range(offset, offset + len(text)))
        ends.extend(range(offset + 1, offset + len(text) + 1))
        return
    for seg_start, seg_end in _segments(text):
        normalised = unicodedata.normalize("NFKC", text[seg_start:seg_end])
        normalised = _INVISIBLE_RE.sub("", normalised)
        out.append(normalised)
        starts.extend([offset + seg_start] * len(normalised))
        ends.extend([offset + seg_end] * len(normalised))


def clean(text: str) -> Normalized:
    """NFKC without invisible characters, compatibility jamo kept; mapped back to ``text``."""
    if text.isascii() or (_SPECIAL_RE.search(text) is None and unicodedata.is_normalized("NFKC", text)):
        return Normalized(text, text, None, None)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for match in _SPECIAL_RE.finditer(text):
        if match.start() > cursor:
            _clean_chunk(text[cursor : match.start()], cursor, out, starts, ends)
        ch = match.group()
        if _COMPAT_JAMO_RE.match(ch):
            out.append(ch)
            starts.append(match.start())
            ends.append(match.end())
        cursor = match.end()
    if cursor < len(text):
        _clean_chunk(text[cursor:], cursor, out, starts, ends)
    return Normalized(text, "".join(out), starts, ends)


def _lower(text: str) -> str:
    """Lower-cased with the length kept (positions must still line up): ``str.lower`` is fast, but a few
    characters grow ("İ" → "i̇"); for those texts only ASCII letters are lowered."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _compact_map(base: Normalized) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    base_starts, base_ends = base.starts, base.ends
    for match in _COMPACT_KEEP_RE.finditer(base.text):
        s, e = match.span()
        if base_starts is None or base_ends is None:
            starts.extend(range(s, e))
            ends.extend(range(s + 1, e + 1))
        else:
            starts.extend(base_starts[s:e])
            ends.extend(base_ends[s:e])
    return starts, ends


def compact(base: Normalized) -> Normalized:
    """``base`` without spacing and filler punctuation, ASCII lower-cased; mapped back to the original (the
    map is built on first use)."""
    text = _lower(_COMPACT_DROP_RE.sub("", base.text))
    if len(text) == len(base.text):
        return Normalized(base.original, text, base.starts, base.ends)
    return Normalized(base.original, text, None, None, build=lambda: _compact_map(base))


def compact_text(text: str) -> str:
    """The compact form of ``text`` without the map (phrases in a rule's config, duplicate fingerprints)."""
    return _lower(_COMPACT_DROP_RE.sub("", clean(text).text))


def _digitish(ch: str) -> bool:
    return ch in _ASCII_DIGITS or ch in HANGUL_DIGITS or ch in LETTER_DIGITS


def _convert_run(text: str, start: int, end: int) -> str | None:
    """Digit words in the digit-like run ``text[start:end]`` replaced by digits, or None when the run is not
    number-like. A digit syllable glued to an ordinary syllable ("사람", "이번") is part of a word, and a
    lone one between spaces counts only in a run of several ("공 일 공 …", not "0100 이 번호")."""
    run = text[start:end]
    hangul = sum(1 for ch in run if ch in HANGUL_DIGITS)
    if sum(1 for ch in run if ch in _ASCII_DIGITS) + hangul < _MIN_REAL_DIGITS_IN_RUN:
        return None
    chars = list(run)
    for index, ch in enumerate(run):
        if ch not in HANGUL_DIGITS:
            continue
        at = start + index
        left = text[at - 1] if at > 0 else ""
        right = text[at + 1] if at + 1 < len(text) else ""
        glued_to_digit = _digitish(left) or _digitish(right)
        glued_to_word = any(c.isalpha() and not _digitish(c) for c in (left, right))
        if glued_to_digit or (not glued_to_word and hangul >= 3):
            chars[index] = HANGUL_DIGITS[ch]
    # Letters count as digits only when glued to a digit ("o1o", "0ll0"), never across a space ("Hello 010").
    changed = True
    while changed:
        changed = False
        for index, ch in enumerate(chars):
            if ch not in LETTER_DIGITS:
                continue
            glued = (index > 0 and chars[index - 1] in _ASCII_DIGITS) or (
                index + 1 < len(chars) and chars[index + 1] in _ASCII_DIGITS
            )
            if glued:
                chars[index] = LETTER_DIGITS[ch]
                changed = True
    return "".join(chars)


def digits(base: Normalized) -> Normalized:
    """``base`` with digit words turned into digits inside long digit-like runs (same length, same map)."""
    runs = list(_DIGIT_RUN_RE.finditer(base.text))
    if not runs:
        return base
    text = base.text
    pieces: list[str] = []
    cursor = 0
    for match in runs:
        converted = _convert_run(text, match.start(), match.end())
        if converted is None:
            continue
        pieces.append(text[cursor : match.start()])
        pieces.append(converted)
        cursor = match.end()
    if not pieces:
        return base
    pieces.append(text[cursor:])
    return Normalized(base.original, "".join(pieces), base.starts, base.ends)


def merge_spans(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans merged (one highlight per stretch of evidence; adjacent matches stay two)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
