"""Pure text helpers for postings."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_for_fingerprint(text: str) -> str:
    # NFKC folds full-width characters; dropping spacing and punctuation makes "급구!! 홀서빙" and
    # "급구 홀서빙" the same posting.
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def content_fingerprint(title: str, description: str) -> str:
    """128-bit hash of the normalised title and text: equal for exact re-posts."""
    normalised = normalise_for_fingerprint(title) + "\x1f" + normalise_for_fingerprint(description)
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()
