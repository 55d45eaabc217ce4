"""Contact details in the posting text (P4): phone numbers, messenger IDs and links, e-mail addresses.

Contact moves the conversation off the platform, where scams happen. Phone numbers are found in the digits
view (공일공-일이삼사-오육칠팔, ０１０, o1o-…, "0 1 0 1 2 …" all read as 010…), messenger IDs after the app's
name or its jamo abbreviation (카톡 abc123, ㅋㅌ abc123, 텔레 @abc), links with or without a scheme.

Precision matters as much as recall (DOMAIN.md): "전화 응대 업무" names no number, business hours use colons
(09:00~18:00) and prices use commas (10,320원), none of which the phone pattern accepts; an ID must look
like an ID (letters, digits, dots, underscores) and not be a word such as "plus" in "카톡 plus친구".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules.base import Config, Evaluator, Hit, PostingView, Span, register
from moderation.rules.normalize import DIGIT_SEPARATORS

MAX_SPANS = 20
_S = f"{DIGIT_SEPARATORS}{{0,2}}"
# Korean numbers: mobile 010/011/016-019, Seoul 02, regions 031-064, internet phones 070, "safe numbers"
# 050x; with or without +82. 7 or 8 digits after the prefix, never glued to more digits.
# Starts with a literal alternative (+ or 0) so the regex engine can skip ahead to candidates; "not glued to a
# preceding digit" is checked in Python (a leading lookbehind would disable that fast scan).
PHONE_RE = re.compile(
    rf"(?:\+{_S}82{_S}(?:0{_S})?|00{_S}82{_S}(?:0{_S})?|0{_S})"
    rf"(?:1{_S}[016789]|2|[3-6]{_S}[1-5]|7{_S}0|5{_S}0{_S}[2-8])"
    rf"(?:{_S}[0-9]){{7,8}}(?![0-9])"
)
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{1,63}\s*(?:@|\(at\)|\[at\]|골뱅이)\s*"
    r"(?:[A-Za-z0-9\-]+\s*(?:\.|\(dot\)|\[dot\]|쩜|닷)\s*)+(?:com|net|org|kr|co|io|me|info|biz|ac|go|ne|or|re)\b",
    re.IGNORECASE,
)
_DOT = r"\s*(?:\.|쩜|닷)\s*"
LINK_RE = re.compile(
    r"(?:https?://)?(?:"
    rf"open{_DOT}kakao{_DOT}com\s*/\s*o\s*/|(?:pf|qr){_DOT}kakao{_DOT}com\s*/|"
    rf"t{_DOT}me\s*/|telegram{_DOT}(?:me|dog)\s*/|wa{_DOT}me\s*/|line{_DOT}me\s*/|"
    rf"(?:bit{_DOT}ly|han{_DOT}gl|me2{_DOT}kr|vo{_DOT}la|url{_DOT}kr|buly{_DOT}kr|tinyurl{_DOT}com)\s*/"
    r")[A-Za-z0-9_\-+/=?&%.]*[A-Za-z0-9_\-+/=?&%]",
    re.IGNORECASE,
)
# The app, an optional "ID"/":", then the ID itself.
_APPS = (
    r"카카오\s*톡|카톡|ㅋㅌ|ㅋㅋㅇㅌ|카카오|kakao\s*talk|kakao|텔레그램|텔레|텔ㄹ|텔그|telegram|"
    r"위챗|wechat|왓츠앱|whats\s*app|라인\s*(?:아이디|id)|line\s*id"
)
MESSENGER_ID_RE = re.compile(
    rf"(?P<app>{_APPS})\s*(?P<label>아이디|id|계정|ㅇㅇㄷ)?\s*[:：=]?\s*[(\[]?\s*"
    # An ID ends with a letter, digit or underscore: "카톡 abc123." ends a sentence, not the ID.
    r"(?P<id>@?[A-Za-z][A-Za-z0-9_.\-]{1,30}[A-Za-z0-9_])(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
# No ID, but an instruction to move to Telegram or an open chat room: the voice-phishing route (DOMAIN.md P5).
MESSENGER_STEER_RE = re.compile(
    r"(?:(?:텔레그램|텔ㄹ|telegram|오픈\s*(?:채팅방?|카톡|톡))\s*(?:으로|로|방|에서|에)?|텔레\s*(?:으로|로))\s*"
    r"(?:연락|문의|상담|안내|지원|친추|추가|dm|메시지|메세지|입장|참여|검색)",
    re.IGNORECASE,
)
# Cheap tests before the full patterns: most postings mention no messenger and no e-mail.
# ("오픈" alone is the opening shift; only 오픈채팅 / 오픈카톡 / 오픈톡 name a chat room.)
_MESSENGER_HANGUL_RE = re.compile(
    "카카오|카톡|ㅋㅌ|ㅋㅋㅇㅌ|텔레|텔ㄹ|텔그|위챗|왓츠앱|라인|오픈채팅|오픈 채팅|오픈카톡|오픈 카톡|오픈톡"
)
_MESSENGER_LATIN = ("kakao", "telegram", "wechat", "whats", "line")
_EMAIL_TRIGGER_RE = re.compile(r"@|골뱅이|\(at\)|\[at\]", re.IGNORECASE)
# Words that follow an app's name without being an ID ("카톡 plus친구", "카카오 map", "카카오 pay").
_NOT_IDS = frozenset(
    {"plus", "channel", "pay", "map", "maps", "talk", "chat", "open", "app", "apps", "friend", "friends", "mobile",
     "web", "pc", "bank", "navi", "taxi", "story", "games", "game", "gift", "now", "shopping", "mail", "ok"}
)  # fmt: skip


@register
class ContactEvaluator(Evaluator):
    kind = RuleKind.CONTACT
    example_config = {"phones": True, "emails": True, "messengers": True, "links": True}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("phones", "emails", "messengers", "links", "fields"))
        self.phones = reader.flag("phones", True)
        self.emails = reader.flag("emails", True)
        self.messengers = reader.flag("messengers", True)
        self.links = reader.flag("links", True)
        self.fields = reader.fields()

    @staticmethod
    def _mentions_messenger(text: str) -> bool:
        if _MESSENGER_HANGUL_RE.search(text):
            return True
        lower = text.lower()
        return any(word in lower for word in _MESSENGER_LATIN)

    def evaluate(self, view: PostingView) -> Hit | None:
        found: list[tuple[Span, str, str]] = []  # (span, kind, normalised value)
        for field_text in view.fields:
            if field_text.name not in self.fields:
                continue
            clean = field_text.clean
            text = clean.text
            if self.phones:
                digits = field_text.digits
                digit_text = digits.text
                for match in PHONE_RE.finditer(digit_text):
                    if match.start() and digit_text[match.start() - 1].isdigit():
                        continue  # part of a longer number
                    value = re.sub(r"[^0-9+]", "", match.group())
                    found.append((field_text.span(digits, match.start(), match.end()), "phone", value))
            if self.links and "/" in text:
                for match in LINK_RE.finditer(text):
                    found.append((field_text.span(clean, match.start(), match.end()), "link", match.group()))
            if self.emails and _EMAIL_TRIGGER_RE.search(text):
                for match in EMAIL_RE.finditer(text):
                    found.append((field_text.span(clean, match.start(), match.end()), "email", match.group()))
            if self.messengers and self._mentions_messenger(text):
                for match in MESSENGER_ID_RE.finditer(text):
                    handle = match.group("id")
                    bare = handle.lstrip("@").lower()
                    if bare in _NOT_IDS:
                        continue
                    app = match.group("app")
                    # "카카오" alone is also a company (카카오 T, 카카오 지도): it needs an explicit ID marker.
                    explicit = match.group("label") or handle.startswith("@") or any(c.isdigit() for c in handle)
                    if app.replace(" ", "") == "카카오" and not explicit:
                        continue
                    found.append((field_text.span(clean, match.start(), match.end()), "messenger", f"{app} {handle}"))
                for match in MESSENGER_STEER_RE.finditer(text):
                    found.append((field_text.span(clean, match.start(), match.end()), "messenger", match.group()))
        if not found:
            return None
        # One contact found by two patterns (a link that is also an ID) is shown once.
        found.sort(key=lambda item: (item[0].field, item[0].start, -item[0].end))
        unique: list[tuple[Span, str, str]] = []
        for item in found:
            span = item[0]
            if unique and unique[-1][0].field == span.field and span.start < unique[-1][0].end:
                continue
            unique.append(item)
        kinds = sorted({kind for _span, kind, _value in unique})
        return Hit(
            summary=_("Contact details in the text: %(found)s")
            % {"found": ", ".join(f"{kind} {span.text}" for span, kind, _value in unique[:5])},
            spans=tuple(span for span, _kind, _value in unique[:MAX_SPANS]),
            numbers={"contacts": len(unique)},
            details={"kinds": kinds, "contacts": [{"kind": k, "value": v} for _s, k, v in unique[:MAX_SPANS]]},
        )
