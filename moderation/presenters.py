"""Presentation helpers for the moderation pages (pure: strings in, safe HTML out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAND_COLOURS = {1: "#607d8b", 2: "#1e88e5", 3: "#fb8c00", 4: "#d32f2f"}


def highlight(text: str, spans: Iterable[Mapping[str, Any]]) -> SafeString:
    """The text with each evidence span wrapped in <mark>, titled with the rule that matched it.

    Spans index the original text; overlapping spans are merged into the first so the markup stays valid."""
    ordered = sorted(
        (
            (int(s["start"]), int(s["end"]), str(s.get("rule", "")))
            for s in spans
            if 0 <= int(s["start"]) < int(s["end"]) <= len(text)
        ),
    )
    parts: list[str] = []
    cursor = 0
    for start, end, rule in ordered:
        if start < cursor:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(f'<mark class="evidence" title="{escape(rule)}">{escape(text[start:end])}</mark>')
        cursor = end
    parts.append(escape(text[cursor:]))
    return mark_safe("".join(parts))


def spans_for(hits: Iterable[Any], field: str) -> list[dict[str, Any]]:
    """Evidence spans of the given posting field, from RuleHit rows."""
    spans = []
    for hit in hits:
        for span in (hit.evidence or {}).get("spans", []):
            if span.get("field") == field:
                spans.append({**span, "rule": hit.rule.name})
    return spans


def sla_badge(due_at: dt.datetime, now: dt.datetime, resolved: bool) -> SafeString:
    if resolved:
        return format_html('<span class="sla sla-done">{}</span>', _("resolved"))
    delta = due_at - now
    minutes = int(abs(delta.total_seconds()) // 60)
    text = f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    if delta.total_seconds() < 0:
        return format_html(
            '<span class="sla sla-overdue" data-due="{}">{} {}</span>', due_at.isoformat(), _("overdue"), text
        )
    css = "sla-soon" if delta <= dt.timedelta(hours=1) else "sla-ok"
    return format_html(
        '<span class="sla {}" data-due="{}" data-overdue-label="{}">{} {}</span>',
        css,
        due_at.isoformat(),
        _("overdue"),
        _("due in"),
        text,
    )


def band_badge(band: int, label: str) -> SafeString:
    return format_html(
        '<span class="band band-{}" style="background:{};color:#fff;padding:1px 6px;border-radius:3px">{}</span>',
        band,
        BAND_COLOURS.get(band, "#607d8b"),
        label,
    )
