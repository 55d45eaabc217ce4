"""Marketplace traffic for the demo and the benchmarks: a realistic, reproducible stream of EVENTS.md events.

``TrafficGenerator`` keeps a model of the marketplace it has described so far (employers, seekers, postings,
applications), so later events refer to earlier entities the way real traffic does: postings by registered
employers, applications by registered seekers to open postings, status changes that follow the application's
life, reports on what exists (often on the postings that break a rule of DOMAIN.md). On top of that, on
purpose and in known proportions:

* about 2 % exact duplicates (an earlier event resent with the same ``event_id``, as redelivery does);
* about 2 % out-of-order pairs (the dependent event sent before the one it depends on: an update before its
  create, an application before its posting, a status change before its application);
* about 1 % invalid input, one of: not JSON, a required field missing, a wrong field type, an unknown type,
  an unsupported version, over 64 KiB. These never touch the model (the back-office dead-letters them).

Everything comes from one ``random.Random(seed)`` in a fixed order: the same seed gives the same events
(ids, text, order); only ``occurred_at`` follows the wall clock when a live run passes ``now``. Text reuses
the Korean vocabulary of ``jobs.demo`` (names, roles, duties, pay, the rule-breaking phrases).

Senders: ``RedisSender`` (``XADD <stream> * event <json>``, pipelined per tick) and ``HttpSender``
(``POST /events/`` in batches of at most 500, urllib only). ``run_traffic`` paces either at a rate.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from jobs import demo as vocab
from jobs.regions import REGIONS

SEOUL = ZoneInfo("Asia/Seoul")
SOURCE = "marketplace-api"
DEFAULT_START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SEOUL)

DUPLICATE_SHARE = 0.02
OUT_OF_ORDER_SHARE = 0.02
INVALID_SHARE = 0.01
RULE_BREAKING_SHARE = 0.08
HTTP_MAX_EVENTS = 500

VALID, DUPLICATE, OUT_OF_ORDER, INVALID = "valid", "duplicate", "out_of_order", "invalid"
INVALID_VARIANTS = ("bad_json", "missing_field", "wrong_field_type", "unknown_type", "wrong_version", "oversized")

# Comfortably above the 2026 minimum (10,320 KRW an hour) and a likely 2027 one: honest postings stay honest.
HONEST_HOURLY_FLOOR = 10_800
FT, PT, FL = "full_time", "part_time", "freelance"
WAGE_TYPES = {
    FT: (("monthly", 80), ("daily", 12), ("hourly", 8)),
    PT: (("hourly", 88), ("daily", 12)),
    FL: (("per_project", 60), ("daily", 20), ("hourly", 20)),
}
# Application life: the statuses the marketplace reports next, by current status (terminal ones have none).
NEXT_STATUS = {
    "submitted": (("viewed", 80), ("withdrawn", 20)),
    "viewed": (("shortlisted", 35), ("rejected", 50), ("withdrawn", 15)),
    "shortlisted": (("hired", 55), ("rejected", 35), ("withdrawn", 10)),
}
EVENT_WEIGHTS = (
    ("employer.registered", 4),
    ("seeker.registered", 8),
    ("posting.created", 22),
    ("posting.updated", 6),
    ("posting.closed", 4),
    ("application.submitted", 30),
    ("application.status_changed", 20),
    ("report.filed", 6),
)
VIOLATIONS = (("min_wage", 30), ("contact", 30), ("discrimination", 25), ("phishing", 15))
REPORT_REASON = {
    "min_wage": ("illegal_wage", ("최저시급보다 낮은 시급이에요.", "시급이 최저임금에 못 미칩니다.")),
    "contact": ("scam", ("공고에 개인 연락처가 있고 카톡으로 유도해요.", "앱 밖에서 연락하라고 합니다. 사기 같아요.")),
    "discrimination": ("discrimination", ("나이와 성별 제한이 있어요.", "외모 조건을 걸고 있습니다.")),
    "phishing": ("scam", ("현금 수거 알바라는데 보이스피싱 같아요.", "통장과 체크카드를 달라고 합니다.")),
}
HONEST_REPORTS = (
    ("spam", "같은 공고가 계속 올라와요."),
    ("other", "근무 조건이 공고와 달랐어요."),
    ("inappropriate", "공고 문구가 불쾌합니다."),
    ("duplicate", "이미 본 공고와 같은 내용이에요."),
)
ACCOUNT_REPORTS = (
    ("scam", "면접 후 교육비를 요구했어요."),
    ("other", "연락이 두절되었습니다."),
    ("inappropriate", "채팅에서 욕설을 했어요."),
)
OVERSIZED_SENTENCE = "근무 조건과 복리후생을 자세히 안내드립니다. 성실하게 오래 함께하실 분을 기다립니다. "


def _value(choice: Any) -> str:
    return str(getattr(choice, "value", choice))


CATEGORIES = tuple(_value(c) for c in vocab.PROFILES)
PROFILES = {_value(c): p for c, p in vocab.PROFILES.items()}
REGION_CODES = tuple(REGIONS)


@dataclass(frozen=True)
class SimItem:
    """One thing to send: the wire text (a stream entry's ``event`` field) and what it is meant to be."""

    text: str
    kind: str  # valid | duplicate | out_of_order | invalid
    event_id: str = ""
    type: str = ""
    note: str = ""  # the invalid variant, or the pair an out-of-order event belongs to

    @property
    def valid(self) -> bool:
        return self.kind != INVALID

    def http_value(self) -> Any:
        """The element of ``{"events": [...]}``: the envelope object, or the raw text when it is not JSON
        (the endpoint decodes a string element like a stream entry, and dead-letters it the same way)."""
        try:
            return json.loads(self.text)
        except json.JSONDecodeError:
            return self.text


# --- the world model ------------------------------------------------------------------------------------
@dataclass
class _Employer:
    id: str
    name: str
    category: str
    kind: str
    region: str
    shady: bool


@dataclass
class _Seeker:
    id: str
    region: str


@dataclass
class _Posting:
    id: str
    employer: _Employer
    payload: dict[str, Any]
    violation: str = ""
    open: bool = True
    applicants: set[str] = field(default_factory=set)


@dataclass
class _Application:
    id: str
    posting_id: str
    seeker_id: str
    status: str = "submitted"


def _won(amount: int) -> str:
    if amount >= 100_000 and amount % 10_000 == 0:
        return f"{amount // 10_000:,}만원"
    return f"{amount:,}원"


def _object_particle(word: str) -> str:
    syllable = ord(word[-1]) - 0xAC00
    return "을" if 0 <= syllable < 11_172 and syllable % 28 else "를"


def _ceil_to(value: float, step: int) -> int:
    return int(-(-value // step) * step)


class TrafficGenerator:
    """An endless, reproducible stream of ``SimItem``; ``take(n)`` returns the next n."""

    def __init__(
        self,
        *,
        seed: int = 0,
        start: dt.datetime | None = None,
        duplicate_share: float = DUPLICATE_SHARE,
        out_of_order_share: float = OUT_OF_ORDER_SHARE,
        invalid_share: float = INVALID_SHARE,
        id_prefix: str | None = None,
    ) -> None:
        if duplicate_share + out_of_order_share + invalid_share >= 1:
            raise ValueError("the shares of duplicates, out-of-order pairs and invalid events must leave room")
        self.rng = random.Random(seed)
        self.clock = (start or DEFAULT_START).astimezone(SEOUL)
        self.duplicate_share = duplicate_share
        self.out_of_order_share = out_of_order_share
        self.invalid_share = invalid_share
        # Marketplace ids are per seed, so runs with different seeds describe different entities.
        self.prefix = f"sim{seed}-" if id_prefix is None else id_prefix
        self.counts: Counter[str] = Counter()
        self.employers: list[_Employer] = []
        self.seekers: list[_Seeker] = []
        self.postings: dict[str, _Posting] = {}
        self.open_postings: list[str] = []
        self.rule_breaking: list[str] = []
        self.applications: dict[str, _Application] = {}
        self.advanceable: list[str] = []  # applications with a next status
        self._queue: deque[SimItem] = deque()
        self._recent: deque[SimItem] = deque(maxlen=500)
        self._serial: Counter[str] = Counter()
        self._invalid_turn = 0
        self._variant_turn: Counter[str] = Counter()
        self._live = False

    # --- public ---------------------------------------------------------------------------------------
    def take(self, n: int, *, now: dt.datetime | None = None) -> list[SimItem]:
        """The next ``n`` items. ``now`` (a live run) moves the event clock up to the wall clock; the items
        themselves do not depend on it."""
        if now is not None:
            self._live = True
            now = now.astimezone(SEOUL)
            if now > self.clock:
                self.clock = now
        return [self._next() for _ in range(n)]

    def __iter__(self) -> Iterator[SimItem]:
        while True:
            yield self._next()

    # --- the mix --------------------------------------------------------------------------------------
    def _next(self) -> SimItem:
        item = self._queue.popleft() if self._queue else self._draw()
        self.counts[item.kind] += 1
        if item.kind == VALID or item.kind == OUT_OF_ORDER:
            self._recent.append(item)
        return item

    def _draw(self) -> SimItem:
        roll = self.rng.random()
        if roll < self.invalid_share:
            return self._invalid()
        roll -= self.invalid_share
        if roll < self.duplicate_share and self._recent:
            original = self._recent[self.rng.randrange(len(self._recent))]
            return SimItem(original.text, DUPLICATE, original.event_id, original.type, "resent")
        roll -= self.duplicate_share
        if roll < self.out_of_order_share and len(self.seekers) >= 5 and self.open_postings:
            early, late = self._out_of_order_pair()
            self._queue.append(late)
            self.counts["out_of_order_pairs"] += 1
            return early
        return self._valid()

    def _valid(self) -> SimItem:
        if len(self.employers) < 3:
            return self._employer_registered()
        if len(self.seekers) < 5:
            return self._seeker_registered()
        feasible = [(t, w) for t, w in EVENT_WEIGHTS if self._feasible(t)]
        event_type = self._weighted(feasible)
        return getattr(self, "_" + event_type.replace(".", "_"))()

    def _feasible(self, event_type: str) -> bool:
        if event_type in ("posting.updated", "posting.closed", "application.submitted"):
            return bool(self.open_postings)
        if event_type == "application.status_changed":
            return bool(self.advanceable)
        return True

    # --- helpers --------------------------------------------------------------------------------------
    def _weighted(self, options: Sequence[tuple[str, int]]) -> str:
        total = sum(w for _, w in options)
        point = self.rng.random() * total
        for value, weight in options:
            point -= weight
            if point < 0:
                return value
        return options[-1][0]

    def _rotate(self, name: str, variants: Sequence[Any]) -> Any:
        # Rotating rather than random: every variant shows up early, even in a short run.
        turn = self._variant_turn[name]
        self._variant_turn[name] = turn + 1
        return variants[turn % len(variants)]

    def _new_id(self, kind: str) -> str:
        self._serial[kind] += 1
        return f"{self.prefix}{kind}-{self._serial[kind]:06d}"

    def _tick(self) -> str:
        gap = self.rng.expovariate(1 / 400)  # milliseconds between events in simulated time
        # Live runs follow the wall clock (``take(now=...)``); a tiny step keeps events of one tick ordered.
        self.clock += dt.timedelta(microseconds=100) if self._live else dt.timedelta(milliseconds=1 + gap)
        return self.clock.isoformat(timespec="milliseconds")

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _envelope(self, event_type: str, payload: dict[str, Any], *, version: int = 1) -> dict[str, Any]:
        return {
            "event_id": self._uuid(),
            "type": event_type,
            "version": version,
            "occurred_at": self._tick(),
            "source": SOURCE,
            "payload": payload,
        }

    def _item(self, envelope: dict[str, Any], kind: str = VALID, note: str = "") -> SimItem:
        return SimItem(
            json.dumps(envelope, ensure_ascii=False), kind, str(envelope["event_id"]), str(envelope["type"]), note
        )

    def _digits(self, count: int) -> str:
        return f"{self.rng.randrange(10**count):0{count}d}"

    def _mobile(self) -> str:
        return f"010-{self.rng.randint(2000, 9999)}-{self._digits(4)}"

    def _person_name(self) -> str:
        family = self._weighted(list(zip(vocab.FAMILY_NAMES, vocab.FAMILY_NAME_WEIGHTS, strict=True)))
        return family + self.rng.choice(vocab.GIVEN_NAMES)

    # --- registrations --------------------------------------------------------------------------------
    def _new_employer(self) -> tuple[_Employer, dict[str, Any]]:
        rng = self.rng
        region = rng.choice(REGION_CODES)
        dong = REGIONS[region][2]
        shady = rng.random() < 0.08
        category = self._weighted([(c, PROFILES[c].weight) for c in CATEGORIES])
        profile = PROFILES[category]
        if shady:
            name = rng.choice(vocab.SHADY_NAMES).format(brand=rng.choice(vocab.CORPORATE_BRANDS))
            kind = ""
        else:
            pattern = rng.choice(profile.name_patterns)
            corporate = pattern.startswith("(주)") or "{branch}" not in pattern
            brands = vocab.CORPORATE_BRANDS if corporate else vocab.SHOP_BRANDS
            kind = rng.choice(profile.kinds)
            branch = dong[:-1] if dong.endswith("동") and len(dong) > 2 else dong
            name = pattern.format(brand=rng.choice(brands), kind=kind, branch=branch)
        area = vocab.AREA_CODES.get(region[:2], "02")
        phone = f"{area}-{rng.randint(200, 999)}-{self._digits(4)}" if rng.random() < 0.5 else self._mobile()
        employer = _Employer(self._new_id("emp"), name, category, kind, region, shady)
        payload: dict[str, Any] = {
            "employer_id": employer.id,
            "business_name": name,
            "phone": phone,
            "region_code": region,
            "verified": (not shady) and rng.random() < 0.85,
        }
        if rng.random() < (0.4 if shady else 0.92):
            payload["business_number"] = self._digits(10)
        return employer, payload

    def _employer_registered(self) -> SimItem:
        employer, payload = self._new_employer()
        self.employers.append(employer)
        return self._item(self._envelope("employer.registered", payload))

    def _new_seeker(self) -> tuple[_Seeker, dict[str, Any]]:
        rng = self.rng
        seeker = _Seeker(self._new_id("sk"), rng.choice(REGION_CODES))
        payload: dict[str, Any] = {
            "seeker_id": seeker.id,
            "display_name": self._person_name(),
            "phone": self._mobile(),
            "region_code": seeker.region,
        }
        if rng.random() < 0.8:
            payload["birth_year"] = max(1960, min(2008, 2026 - min(66, int(rng.gammavariate(2.2, 7.0)) + 18)))
        return seeker, payload

    def _seeker_registered(self) -> SimItem:
        seeker, payload = self._new_seeker()
        self.seekers.append(seeker)
        return self._item(self._envelope("seeker.registered", payload))

    # --- postings -------------------------------------------------------------------------------------
    def _posting_payload(self, posting_id: str, employer: _Employer, violation: str) -> dict[str, Any]:
        rng = self.rng
        dong = REGIONS[employer.region][2]
        if violation == "phishing":
            title, description = self._rotate("phishing", vocab.PHISHING_POSTINGS)
            amount = rng.randrange(300_000, 500_001, 50_000)
            return {
                "posting_id": posting_id,
                "employer_id": employer.id,
                "title": title,
                "description": description.format(wage=_won(amount)),
                "employment_type": FL,
                "wage": {"type": "daily", "amount": amount},
                "region_code": employer.region,
                "category": "errands",
            }
        category = employer.category
        profile = PROFILES[category]
        employment_type = self._weighted(list(zip((FT, PT, FL), profile.employment_weights, strict=True)))
        wage_type = self._weighted(WAGE_TYPES[employment_type])
        hours = 40 if employment_type == FT else rng.choice(vocab.PART_TIME_HOURS) if employment_type == PT else None
        low, high = getattr(profile, wage_type)
        step = 100 if wage_type == "hourly" else 10_000 if wage_type in ("daily", "monthly") else 1_000
        amount = _ceil_to(rng.uniform(low, high), step)
        floor = {"hourly": HONEST_HOURLY_FLOOR, "daily": 8 * HONEST_HOURLY_FLOOR, "monthly": 209 * HONEST_HOURLY_FLOOR}
        if wage_type in floor:
            amount = max(amount, _ceil_to(floor[wage_type], step))
        if violation == "min_wage":
            wage_type, employment_type = "hourly", PT
            hours = rng.choice((15, 20, 25, 30))
            amount = rng.randrange(8_500, 10_001, 100)

        roles = [r for r in profile.roles if r not in profile.role_kinds or employer.kind in profile.role_kinds[r]]
        role = rng.choice(roles or list(profile.roles))
        shift = rng.choice(list(vocab.SHIFTS))
        suffixes = {FT: vocab.FULL_TIME_SUFFIXES, PT: vocab.PART_TIME_SUFFIXES, FL: vocab.FREELANCE_SUFFIXES}
        title = f"{role} " + rng.choice(suffixes[employment_type]).format(shift=shift, dong=dong)
        duties = rng.sample(profile.roles[role], 2)
        person = role if role.endswith(vocab.PERSON_SUFFIXES) else f"{role} 직원"
        sentences = [
            f"{employer.name}에서 함께 일할 {person}{_object_particle(person)} 모집합니다.",
            f"주요 업무는 {duties[0]}, {duties[1]}입니다.",
        ]
        if employment_type == FT:
            sentences.append(rng.choice(vocab.FULL_TIME_SCHEDULES))
        elif employment_type == PT:
            sentences.append(f"근무는 {vocab.SHIFTS[shift]}, 주 {hours}시간입니다.")
        else:
            sentences.append(rng.choice(vocab.FREELANCE_SCHEDULES))
        pay = {"hourly": "시급", "daily": "일급", "monthly": "월급", "per_project": "건당"}[wage_type]
        sentences.append(f"{pay} {_won(amount)}입니다.")
        sentences.append(", ".join(rng.sample(vocab.PERKS, rng.randint(1, 3))) + ".")
        if violation == "contact":
            sentences.append(self._contact_sentence())
        elif violation == "discrimination":
            sentences.insert(2, self._rotate("discrimination", vocab.DISCRIMINATION_VARIANTS))
        sentences.append(rng.choice(vocab.CLOSINGS))
        payload: dict[str, Any] = {
            "posting_id": posting_id,
            "employer_id": employer.id,
            "title": title[:200],
            "description": " ".join(sentences),
            "employment_type": employment_type,
            "wage": {"type": wage_type, "amount": amount},
            "region_code": employer.region,
            "category": category,
        }
        if hours is not None:
            payload["hours_per_week"] = hours
        if rng.random() < 0.5:
            starts = self.clock.date() + dt.timedelta(days=rng.randint(1, 14))
            payload["starts_on"] = starts.isoformat()
            if category in ("events", "errands", "delivery", "manufacturing", "it") and rng.random() < 0.5:
                payload["ends_on"] = (starts + dt.timedelta(days=rng.randint(0, 30))).isoformat()
        return payload

    def _contact_sentence(self) -> str:
        rng = self.rng
        four, four2 = str(rng.randint(1000, 9999)), self._digits(4)
        handle = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(rng.randint(3, 6))) + self._digits(3)
        return self._rotate("contact", vocab.CONTACT_VARIANTS).format(
            phone=f"010-{four}-{four2}",
            hangul_phone="-".join("".join(vocab.HANGUL_DIGITS[int(d)] for d in part) for part in ("010", four, four2)),
            spaced_phone=" ".join("010" + four + four2),
            handle=handle,
            link="".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8)),
            four=four,
            four2=four2,
        )

    def _new_posting(self, employer: _Employer | None = None) -> _Posting:
        rng = self.rng
        employer = employer or rng.choice(self.employers)
        violation = ""
        if rng.random() < (0.6 if employer.shady else RULE_BREAKING_SHARE / 2):
            options = VIOLATIONS if employer.shady else [v for v in VIOLATIONS if v[0] != "phishing"]
            violation = self._weighted(options)
        posting_id = self._new_id("post")
        return _Posting(posting_id, employer, self._posting_payload(posting_id, employer, violation), violation)

    def _remember_posting(self, posting: _Posting) -> None:
        self.postings[posting.id] = posting
        self.open_postings.append(posting.id)
        if posting.violation:
            self.rule_breaking.append(posting.id)

    def _posting_created(self) -> SimItem:
        posting = self._new_posting()
        self._remember_posting(posting)
        return self._item(self._envelope("posting.created", dict(posting.payload)))

    def _updated_payload(self, posting: _Posting) -> dict[str, Any]:
        rng = self.rng
        payload = json.loads(json.dumps(posting.payload))
        change = rng.choice(("wage", "title", "perk"))
        if change == "wage":
            wage = payload["wage"]
            wage["amount"] = wage["amount"] + (500 if wage["type"] == "hourly" else 10_000)
            payload["description"] += f" (급여 인상: {_won(wage['amount'])})"
        elif change == "title":
            payload["title"] = ("[급구] " + payload["title"])[:200]
        else:
            payload["description"] += " " + rng.choice(vocab.PERKS) + " 추가."
        posting.payload = payload
        return payload

    def _posting_updated(self) -> SimItem:
        posting = self.postings[self.rng.choice(self.open_postings)]
        return self._item(self._envelope("posting.updated", dict(self._updated_payload(posting))))

    def _posting_closed(self) -> SimItem:
        index = self.rng.randrange(len(self.open_postings))
        posting = self.postings[self.open_postings[index]]
        self.open_postings[index] = self.open_postings[-1]
        self.open_postings.pop()
        posting.open = False
        reason = self._weighted((("filled", 70), ("cancelled", 20), ("other", 10)))
        return self._item(self._envelope("posting.closed", {"posting_id": posting.id, "reason": reason}))

    # --- applications ---------------------------------------------------------------------------------
    def _application_payload(self, posting: _Posting, seeker: _Seeker) -> tuple[_Application, dict[str, Any]]:
        application = _Application(self._new_id("app"), posting.id, seeker.id)
        posting.applicants.add(seeker.id)
        payload: dict[str, Any] = {"application_id": application.id, "posting_id": posting.id, "seeker_id": seeker.id}
        if self.rng.random() < 0.7:
            payload["message"] = self.rng.choice(vocab.APPLICATION_MESSAGES)
        return application, payload

    def _remember_application(self, application: _Application) -> None:
        self.applications[application.id] = application
        self.advanceable.append(application.id)

    def _application_submitted(self) -> SimItem:
        posting = self.postings[self.rng.choice(self.open_postings)]
        for _ in range(5):
            seeker = self.rng.choice(self.seekers)
            # One application per seeker and posting: the marketplace would not send a second one.
            if seeker.id not in posting.applicants:
                break
        else:
            return self._seeker_registered()
        application, payload = self._application_payload(posting, seeker)
        self._remember_application(application)
        return self._item(self._envelope("application.submitted", payload))

    def _advance(self, application: _Application) -> str:
        status = self._weighted(NEXT_STATUS[application.status])
        application.status = status
        if status not in NEXT_STATUS:
            self.advanceable.remove(application.id)
        return status

    def _application_status_changed(self) -> SimItem:
        application = self.applications[self.rng.choice(self.advanceable)]
        status = self._advance(application)
        return self._item(
            self._envelope("application.status_changed", {"application_id": application.id, "status": status})
        )

    # --- reports --------------------------------------------------------------------------------------
    def _report_filed(self) -> SimItem:
        rng = self.rng
        reporter = {"kind": "seeker", "id": rng.choice(self.seekers).id}
        roll = rng.random()
        if roll < 0.6 and self.rule_breaking:
            posting = self.postings[rng.choice(self.rule_breaking)]
            reason, texts = REPORT_REASON[posting.violation]
            target, text = {"kind": "posting", "id": posting.id}, rng.choice(texts)
        elif roll < 0.85 and self.postings:
            reason, text = rng.choice(HONEST_REPORTS)
            target = {"kind": "posting", "id": rng.choice(self.open_postings or list(self.postings))}
        elif roll < 0.95:
            reason, text = rng.choice(ACCOUNT_REPORTS)
            target = {"kind": "employer", "id": rng.choice(self.employers).id}
        else:
            reason, text = rng.choice(ACCOUNT_REPORTS)
            target = {"kind": "seeker", "id": rng.choice(self.seekers).id}
            reporter = {"kind": "employer", "id": rng.choice(self.employers).id}
        payload = {"report_id": self._new_id("rep"), "reporter": reporter, "target": target, "reason": reason}
        if rng.random() < 0.8:
            payload["text"] = text
        return self._item(self._envelope("report.filed", payload))

    # --- out of order ---------------------------------------------------------------------------------
    def _out_of_order_pair(self) -> tuple[SimItem, SimItem]:
        """(sent first, sent second): the second happened first and the first depends on it."""
        rng = self.rng
        shape = self._rotate("pair", ("update_before_create", "application_before_posting", "status_before_app",
                                       "posting_before_employer"))  # fmt: skip
        if shape == "posting_before_employer":
            employer, employer_payload = self._new_employer()
            self.employers.append(employer)
            dependency = self._envelope("employer.registered", employer_payload)
            posting = self._new_posting(employer)
            self._remember_posting(posting)
            dependent = self._envelope("posting.created", dict(posting.payload))
        elif shape == "update_before_create":
            posting = self._new_posting()
            self._remember_posting(posting)
            dependency = self._envelope("posting.created", dict(posting.payload))
            dependent = self._envelope("posting.updated", dict(self._updated_payload(posting)))
        elif shape == "application_before_posting":
            posting = self._new_posting()
            self._remember_posting(posting)
            dependency = self._envelope("posting.created", dict(posting.payload))
            application, payload = self._application_payload(posting, rng.choice(self.seekers))
            self._remember_application(application)
            dependent = self._envelope("application.submitted", payload)
        else:
            posting = self.postings[rng.choice(self.open_postings)]
            candidates = [s for s in (rng.choice(self.seekers) for _ in range(5)) if s.id not in posting.applicants]
            seeker = candidates[0] if candidates else None
            if seeker is None:
                seeker, seeker_payload = self._new_seeker()
                self.seekers.append(seeker)
                dependency = self._envelope("seeker.registered", seeker_payload)
                application, payload = self._application_payload(posting, seeker)
                self._remember_application(application)
                dependent = self._envelope("application.submitted", payload)
            else:
                application, payload = self._application_payload(posting, seeker)
                self._remember_application(application)
                dependency = self._envelope("application.submitted", payload)
                status = self._advance(application)
                dependent = self._envelope(
                    "application.status_changed", {"application_id": application.id, "status": status}
                )
        note = f"{dependent['type']} before {dependency['type']}"
        return self._item(dependent, OUT_OF_ORDER, note), self._item(dependency, VALID, note)

    # --- invalid input --------------------------------------------------------------------------------
    def _invalid(self) -> SimItem:
        """Bad input of each kind in turn. Built from throw-away entities: the model never sees them."""
        rng = self.rng
        variant = INVALID_VARIANTS[self._invalid_turn % len(INVALID_VARIANTS)]
        self._invalid_turn += 1
        if variant == "bad_json":
            _seeker, payload = self._new_seeker()
            text = json.dumps(self._envelope("seeker.registered", payload), ensure_ascii=False)
            return SimItem(text[: len(text) // 2], INVALID, "", "", variant)
        if variant == "missing_field":
            _seeker, payload = self._new_seeker()
            del payload[rng.choice(("display_name", "phone", "region_code"))]
            return self._item(self._envelope("seeker.registered", payload), INVALID, variant)
        if variant == "wrong_field_type":
            _employer, payload = self._new_employer()
            payload["verified"] = rng.choice(("yes", "Y", 1))
            return self._item(self._envelope("employer.registered", payload), INVALID, variant)
        if variant == "unknown_type":
            payload = {"posting_id": self._new_id("post"), "deleted_by": "employer"}
            return self._item(self._envelope("posting.deleted", payload), INVALID, variant)
        if variant == "wrong_version":
            _employer, payload = self._new_employer()
            return self._item(self._envelope("employer.registered", payload, version=2), INVALID, variant)
        # Oversized: a posting whose text alone is over 64 KiB (the limit is on the encoded event).
        employer = rng.choice(self.employers) if self.employers else self._new_employer()[0]
        posting_id = self._new_id("post")
        payload = self._posting_payload(posting_id, employer, "")
        repeats = 64 * 1024 // len(OVERSIZED_SENTENCE.encode("utf-8")) + 10
        payload["description"] += " " + OVERSIZED_SENTENCE * repeats
        return self._item(self._envelope("posting.created", payload), INVALID, variant)


# --- sending --------------------------------------------------------------------------------------------
class Sender(Protocol):
    transport: str

    def send(self, items: Sequence[SimItem]) -> None: ...


@dataclass
class SendTotals:
    requests: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed_requests: int = 0
    errors: list[str] = field(default_factory=list)

    consecutive_failures: int = 0

    def error(self, message: str) -> None:
        self.failed_requests += 1
        self.consecutive_failures += 1
        if len(self.errors) < 20:
            self.errors.append(message)
        if self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
            raise SenderError(f"{self.consecutive_failures} requests failed in a row; the last: {message}")


class SenderError(RuntimeError):
    """The transport cannot be used: stop the run."""


class SenderAuthError(SenderError):
    """The endpoint refused the token (401/403): retrying will not help."""


MAX_CONSECUTIVE_FAILURES = 20


class RedisSender:
    transport = "redis"

    def __init__(self, client: Any, stream: str) -> None:
        self.client = client
        self.stream = stream
        self.totals = SendTotals()

    def send(self, items: Sequence[SimItem]) -> None:
        if not items:
            return
        pipe = self.client.pipeline(transaction=False)
        for item in items:
            pipe.xadd(self.stream, {"event": item.text})
        pipe.execute()
        self.totals.requests += 1
        self.totals.accepted += len(items)  # added to the stream; the consumer decides what they are


class HttpSender:
    transport = "http"

    def __init__(self, url: str, token: str, *, timeout: float = 30.0, batch_size: int = HTTP_MAX_EVENTS) -> None:
        token = token.strip()
        if not token or any(ch.isspace() for ch in token):
            raise SenderAuthError("the token must be one word (bo_…), as shown once when it was created")
        self.url = url
        self.token = token
        self.timeout = timeout
        self.batch_size = min(batch_size, HTTP_MAX_EVENTS)
        self.totals = SendTotals()
        host = urllib.parse.urlsplit(url).hostname or ""
        # A proxy from the environment must not intercept a local server.
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, items: Sequence[SimItem]) -> None:
        for start in range(0, len(items), self.batch_size):
            self._post(items[start : start + self.batch_size])

    def _post(self, batch: Sequence[SimItem]) -> None:
        body = json.dumps({"events": [item.http_value() for item in batch]}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        self.totals.requests += 1
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", errors="replace")
            if exc.code in (401, 403):
                raise SenderAuthError(f"HTTP {exc.code}: {detail}") from None
            self.totals.error(f"HTTP {exc.code}: {detail}")
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.totals.error(f"{type(exc).__name__}: {exc}")
            return
        self.totals.consecutive_failures = 0
        self.totals.accepted += int(answer.get("accepted", 0))
        self.totals.duplicates += int(answer.get("duplicates", 0))
        self.totals.rejected += len(answer.get("rejected", []))


# --- pacing ---------------------------------------------------------------------------------------------
@dataclass
class RunSummary:
    transport: str
    sent: int
    elapsed_s: float
    rate_target: float
    counts: dict[str, int]
    totals: SendTotals
    interrupted: bool = False

    @property
    def actual_rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"sent {self.sent:,} events over {self.transport} in {self.elapsed_s:.1f} s: "
            f"{self.actual_rate:,.1f}/s (target {self.rate_target:,.1f}/s)"
            + (" — interrupted" if self.interrupted else ""),
            f"  of which duplicates {c.get(DUPLICATE, 0):,}, out-of-order pairs {c.get('out_of_order_pairs', 0):,}, "
            f"invalid {c.get(INVALID, 0):,}",
        ]
        t = self.totals
        if self.transport == "http":
            out.append(
                f"  HTTP: {t.requests:,} requests; accepted {t.accepted:,}, duplicates {t.duplicates:,}, "
                f"rejected {t.rejected:,}; failed requests {t.failed_requests:,}"
            )
        else:
            out.append(f"  Redis: {t.requests:,} pipelined XADD batches, {t.accepted:,} entries added")
        out.extend(f"  error: {e}" for e in t.errors[:5])
        return out


def run_traffic(
    generator: TrafficGenerator,
    sender: Any,
    *,
    rate: float,
    duration: float,
    ticks_per_second: int = 10,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], dt.datetime] | None = None,
) -> RunSummary:
    """Send ``rate`` events a second for ``duration`` seconds, in ticks: each tick sends what is due by its
    end (at most the total), then sleeps to the next tick. A sender slower than the rate lowers the actual
    rate (reported), it never stretches the run past ``duration``. Ctrl-C ends the run with a summary."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    wall_clock = wall_clock or (lambda: dt.datetime.now(dt.UTC))
    tick = 1 / ticks_per_second
    total = max(1, round(rate * duration))
    start = monotonic()
    sent = 0
    index = 0
    interrupted = False
    try:
        while sent < total:
            elapsed = monotonic() - start
            if elapsed >= duration:
                break
            # The epsilon keeps float noise (200 × 0.30000000000000004) from adding an event to a tick.
            due = min(total, math.ceil(rate * min(duration, elapsed + tick) - 1e-6)) - sent
            if due > 0:
                sender.send(generator.take(due, now=wall_clock()))
                sent += due
            index += 1
            delay = start + index * tick - monotonic()
            if delay > 0:
                sleep(delay)
    except KeyboardInterrupt:
        interrupted = True
    elapsed = max(monotonic() - start, 1e-9)
    counts = dict(generator.counts)
    return RunSummary(sender.transport, sent, elapsed, rate, counts, sender.totals, interrupted)
