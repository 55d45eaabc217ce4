"""Near-duplicate fingerprints: bottom-k MinHash over character shingles of the compact text.

A posting's sketch is the k smallest hashes of its 5-character shingles. Two sketches estimate the Jaccard
similarity of the shingle sets (Broder's bottom-k estimator: of the k smallest hashes of the union, the share
present in both), so comparing two postings costs O(k), whatever their length, and no text is kept around.
Hashes are CRC-32 of the UTF-32 bytes of each shingle: deterministic across processes (Python's ``hash`` is
salted per process), computed in C.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

SHINGLE = 5
SKETCH_SIZE = 64


@dataclass(frozen=True, slots=True)
class Sketch:
    hashes: frozenset[int]

    def __len__(self) -> int:
        return len(self.hashes)


def sketch(text: str, *, shingle: int = SHINGLE, size: int = SKETCH_SIZE) -> Sketch:
    """The bottom-``size`` MinHash sketch of ``text``'s character shingles (``text`` already normalised)."""
    if not text:
        return Sketch(frozenset())
    data = text.encode("utf-32-le")
    width = 4 * shingle
    if len(data) <= width:
        return Sketch(frozenset((zlib.crc32(data),)))
    crc32 = zlib.crc32
    hashes = {crc32(data[i : i + width]) for i in range(0, len(data) - width + 4, 4)}
    # sorted() of a few hundred ints runs in C; heapq.nsmallest would loop in Python.
    return Sketch(frozenset(sorted(hashes)[:size]))


def similarity(a: Sketch, b: Sketch, *, size: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard similarity of the two shingle sets (exact when both texts have < ``size`` shingles)."""
    if not a.hashes or not b.hashes:
        return 0.0
    union_bottom = sorted(a.hashes | b.hashes)[:size]
    both = sum(1 for h in union_bottom if h in a.hashes and h in b.hashes)
    return both / len(union_bottom)


def may_reach(a: Sketch, b: Sketch, threshold: float, *, size: int = SKETCH_SIZE) -> bool:
    """Cheap necessary condition for ``similarity(a, b) >= threshold`` (one set intersection, no sort).

    The estimate counts hashes found in both sketches among ``min(size, |a ∪ b|)`` hashes, and that union is
    at least as large as the larger sketch."""
    return len(a.hashes & b.hashes) >= threshold * min(size, max(len(a.hashes), len(b.hashes)))
