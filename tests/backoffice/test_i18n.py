"""The UI is Korean by default and English on request; the Korean catalog is complete and compiled."""

from __future__ import annotations

from pathlib import Path

import polib
from django.utils import translation

from jobs.models import ApplicationStatus, Category, PostingStatus

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES"


def test_catalog_is_complete() -> None:
    po = polib.pofile(str(CATALOG / "django.po"))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    # The compiled catalog is what Django reads; it must hold every translated message.
    mo = polib.mofile(str(CATALOG / "django.mo"))
    assert {(e.msgctxt, e.msgid) for e in po.translated_entries()} <= {(e.msgctxt, e.msgid) for e in mo}


def test_labels_follow_the_active_language() -> None:
    with translation.override("ko"):
        assert str(Category.FOOD_SERVICE.label) == "외식·음료"
        assert str(PostingStatus.PENDING_REVIEW.label) == "검토 대기"
        # Same English word, different Korean by context.
        assert str(ApplicationStatus.REJECTED.label) == "불합격"
        assert str(PostingStatus.REJECTED.label) == "반려"
    with translation.override("en"):
        assert str(Category.FOOD_SERVICE.label) == "Food & beverage"
