"""Bulk data for the reports benchmark (issue 7): a year of marketplace and moderation history on PostgreSQL.

    .venv/bin/python tests/servers.py -- .venv/bin/python bench/reports_data.py \\
        [--postings 1000000] [--applications 5000000] [--cases 200000] [--days 365] [--end YYYY-MM-DD] [--seed 7]

``generate()`` fills an empty, migrated database with employers, seekers, postings, applications and the
moderation history of the postings and accounts (cases, user reports, rule hits, decisions, claims, appeals,
second reviews), spread over ``days`` days that end at ``end`` (Asia/Seoul). Rows go in through COPY, not the
ORM: a million postings and five million applications take minutes instead of hours.

Every row is the outcome of one simulated history, so the tables agree with each other the way the services
would have left them: a posting's ``application_count`` / ``first_application_at`` are its applications'; a
removed posting is hidden or rejected from the decision's time on and receives no application after it; a
screened posting stays ``pending_review`` until its case approves it; reports are upheld or dismissed by the
case's first resolving decision; rule hits are confirmed by the last one; at most one case per target is open.

Ids are given explicitly (the tables must be empty) and follow time: postings by ``created_at``,
applications by ``submitted_at``, cases by their first opening, decisions and events by ``created_at``. As in
production, a range of days is a range of ids and of heap pages; random ids would make every date-range
report read the whole table. The generator keeps the rows that are not due yet in small heaps keyed by time
and writes them once the posting stream has moved past their time (see ``_Ordered``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import importlib
import itertools
import json
import math
import os
import queue
import random
import sys
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and bench/graphql.py would shadow graphql-core.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SEOUL = ZoneInfo("Asia/Seoul")
KST_OFFSET = 9 * 3600  # Korea has no daylight saving time: a KST day is always [15:00 UTC, 15:00 UTC).
DAY = 86_400
HOUR = 3_600
MINUTE = 60
NULL = "\\N"
# Lines buffered (all tables together) before they are handed to the COPY writer thread.
CHUNK = 100_000

MODERATORS = tuple(f"rb-mod-{i:02d}" for i in range(1, 21))
SENIOR_MODERATORS = tuple(f"rb-senior-{i:02d}" for i in range(1, 6))
MODERATOR_PASSWORD = "rb-moderator-password"  # a throwaway benchmark database's staff
EXTERNAL_PREFIX = "rb-"  # external ids: rb-e-…, rb-s-…, rb-p-…, rb-a-…, rb-r-…

# --- distributions ----------------------------------------------------------------------------------------
# Weights, not shares: what a Korean short-term job marketplace looks like (most postings are part-time
# restaurant and shop work in the capital region).
EMPLOYMENT_TYPES = (("part_time", 60), ("full_time", 28), ("freelance", 12))
LIFETIME = {"full_time": 30 * DAY, "part_time": 14 * DAY, "freelance": 21 * DAY}  # jobs.policies default_lifetime
CATEGORIES = (
    ("food_service", 22),
    ("retail", 15),
    ("delivery", 10),
    ("office", 8),
    ("customer_service", 9),
    ("manufacturing", 10),
    ("cleaning", 6),
    ("care", 5),
    ("education", 6),
    ("it", 4),
    ("events", 3),
    ("errands", 2),
)
SIDO_WEIGHT = {"서울특별시": 3.0, "경기도": 2.5, "부산광역시": 2.0, "인천광역시": 1.5, "제주특별자치도": 0.7}
# Postings are created in office hours (KST), few at night.
HOUR_WEIGHTS = (1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6, 6, 6, 5.5, 5, 4, 3.5, 3, 2.5, 2, 1.5)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.5)  # Monday first
# "filled" is drawn more often than its ~35 % share: a filled posting that got no application becomes "cancelled".
CLOSE_REASONS = (("filled", 41), ("cancelled", 27), ("no_response", 18), ("other", 14))
CLOSE_SHARE = 0.45  # of published postings, closed by the employer before they expire
ZERO_APPLICATION_SHARE = 0.13  # plus the postings too short-lived or too recent: ~15 % get none
APPLICATION_SIGMA = 0.9  # lognormal spread of applications per posting (a few postings draw dozens)

# Moderation. Posting cases are half "screening" cases (rule hits when the posting arrived; the posting waits
# in pending_review for the decision) and half "report" cases (users reported a published posting).
POSTING_CASE_SHARE = 0.90
EMPLOYER_CASE_SHARE = 0.06  # the rest are cases on seekers
SCREENING_SHARE = 0.5
AUTO_HIDDEN_SHARE = 0.05 / (POSTING_CASE_SHARE * SCREENING_SHARE)  # of screening cases: ~5 % of all cases
ESCALATE_SHARE = 0.07
APPEAL_SHARE = 0.04  # of human remove decisions
OVERTURN_SHARE = 0.25
RESTORE_SHARE = 0.30  # of auto-hidden postings, restored by the person who reviews them
SECOND_REVIEW_SHARE = 0.10  # settings.MODERATION["SECOND_REVIEW_SHARE"]
DRY_RUN_HIT_SHARE = 0.02  # postings with a hit of a dry-run rule (no case: precision of experimental rules)
SLA_HOURS = {1: 72, 2: 24, 3: 4, 4: 1}  # settings.MODERATION["SLA_HOURS"] by band (low … urgent)
BAND_THRESHOLDS = ((4, 80.0), (3, 50.0), (2, 25.0))  # settings.MODERATION["BAND_THRESHOLDS"]
CLAIM_SECONDS = 15 * MINUTE  # settings.MODERATION["CLAIM_MINUTES"]
# Time to a moderator's decision, as a multiple of the band's SLA: median 0.35 × SLA, ~10 % breach it.
DECISION_DELAY_MU = math.log(0.35)
DECISION_DELAY_SIGMA = 0.8

ACTION_MIX = {
    "screening": (("approve", 58), ("remove", 36), ("sanction", 6)),
    "auto_hidden": (("approve", RESTORE_SHARE * 100), ("remove", 60), ("sanction", 10)),
    "report": (("dismiss", 40), ("approve", 15), ("remove", 35), ("sanction", 10)),
    "account": (("dismiss", 60), ("approve", 8), ("sanction", 32)),
}
UPHOLDING = frozenset({"remove", "sanction"})
# English labels (DecisionAction's), as CaseEvent messages are written by the services.
ACTION_LABEL = {
    "approve": "Approve",
    "remove": "Remove",
    "escalate": "Escalate",
    "sanction": "Remove and sanction author",
    "dismiss": "Dismiss reports",
}
REASON_CLAUSES = {
    "scam": ("P1-false-ad", "P5-crime-recruitment", "P6-fees"),
    "illegal_wage": ("P2-min-wage",),
    "discrimination": ("P3-discrimination",),
    "inappropriate": ("P8-harmful-business",),
    "spam": ("P4-off-platform", "P7-duplicate-spam"),
    "duplicate": ("P7-duplicate-spam",),
    "other": ("P1-false-ad",),
}
REASON_WEIGHT = {  # moderation.policies.REASON_WEIGHT
    "scam": 1.5,
    "illegal_wage": 1.2,
    "discrimination": 1.2,
    "inappropriate": 1.0,
    "spam": 0.8,
    "duplicate": 0.6,
    "other": 0.7,
}
POSTING_REPORT_REASONS = (
    ("scam", 30),
    ("illegal_wage", 12),
    ("discrimination", 12),
    ("inappropriate", 8),
    ("spam", 18),
    ("duplicate", 10),
    ("other", 10),
)
EMPLOYER_REPORT_REASONS = (
    ("scam", 40),
    ("inappropriate", 20),
    ("other", 15),
    ("discrimination", 15),
    ("illegal_wage", 10),
)
SEEKER_REPORT_REASONS = (("inappropriate", 35), ("spam", 25), ("other", 25), ("scam", 15))
REPORT_TEXTS = {
    "scam": ("사기 같아요. 돈을 먼저 보내라고 합니다.", "보이스피싱 같아요", "고수익 미끼 같습니다", ""),
    "spam": ("연락처가 본문에 있어요", "같은 공고가 계속 올라옵니다", ""),
    "discrimination": ("나이 제한이 있어요", "성별을 제한합니다", ""),
    "illegal_wage": ("시급이 최저임금보다 낮아요", "월급이 너무 적어요", ""),
    "duplicate": ("똑같은 공고가 여러 개입니다", ""),
    "inappropriate": ("업종이 이상합니다", "면접에서 부적절한 말을 들었습니다", ""),
    "other": ("마감된 공고인데 계속 보여요", "연락이 되지 않습니다", ""),
}
ESCALATE_NOTES = ("판단이 어려워 선임 검토 요청", "반복 위반 의심, 제재 수위 검토 필요", "법률 검토가 필요해 보임")
APPEAL_TEXTS = ("정상적인 채용 공고입니다. 다시 검토 부탁드립니다.", "문제 된 문구를 수정했습니다.", "")

# Evidence of a rule hit, per rule kind, shaped like moderation.rules.base.Hit.evidence().
EVIDENCE = {
    "keywords": {
        "summary": "Matched: 현금 수거",
        "spans": [{"field": "description", "start": 24, "end": 29, "text": "현금 수거"}],
        "numbers": {"matches": 1},
        "details": {"phrases": ["현금 수거"]},
    },
    "regex": {
        "summary": "Pattern matched: 일당 40만원",
        "spans": [{"field": "title", "start": 6, "end": 13, "text": "일당 40만원"}],
        "numbers": {"matches": 1},
    },
    "min_wage": {
        "summary": "hourly 9,500 KRW is below the legal 10,030 KRW (1 h × 10,030 KRW, 2025)",
        "spans": [],
        "numbers": {"amount": 9500, "required": 10030, "hourly_minimum": 10030, "year": 2025},
    },
    "contact": {
        "summary": "Contact details in the text: 010-1234-5678",
        "spans": [{"field": "description", "start": 41, "end": 54, "text": "010-1234-5678"}],
        "numbers": {"contacts": 1},
    },
    "discrimination": {
        "summary": "Requirement unrelated to the job (age): 30대까지",
        "spans": [{"field": "description", "start": 12, "end": 17, "text": "30대까지"}],
        "numbers": {"matches": 1},
    },
    "duplicate": {
        "summary": "Near-duplicate (93% similar) of an earlier posting, 20 h earlier",
        "spans": [],
        "numbers": {"similarity": 0.93, "hours": 20},
    },
    "velocity": {"summary": "12 postings by this employer in the last hour, 41 in the last day", "spans": [],
                 "numbers": {"hour": 12, "day": 41}},
}  # fmt: skip
# Which clauses' flag rules fire how often on screened postings (contact details and wages dominate).
SCREENING_RULE_WEIGHT = {"contact": 4.0, "min_wage": 3.0, "discrimination": 2.5, "keywords": 2.0, "duplicate": 1.5}

ROLES = {
    "food_service": ("홀서빙", "주방보조", "바리스타", "설거지"),
    "retail": ("매장 판매", "편의점", "재고 정리", "캐셔"),
    "delivery": ("배달 라이더", "택배 상하차", "운전 기사", "물류 분류"),
    "office": ("사무 보조", "경리", "데이터 입력", "총무"),
    "customer_service": ("상담원", "콜센터", "매장 안내", "텔레마케터"),
    "manufacturing": ("생산직", "포장", "현장 보조", "검수"),
    "cleaning": ("사무실 청소", "가사 도우미", "건물 미화", "입주 청소"),
    "care": ("등하원 도우미", "요양보호사", "반려견 산책", "베이비시터"),
    "education": ("수학 강사", "영어 과외", "학원 조교", "방과후 교사"),
    "it": ("웹 개발자", "디자이너", "영상 편집", "앱 테스터"),
    "events": ("행사 스태프", "전시 안내", "공연 진행", "프로모션"),
    "errands": ("심부름", "줄서기 대행", "이사 보조", "장보기 대행"),
}
TITLE_SUFFIXES = {
    "part_time": ("알바 구합니다", "파트타이머 모집", "단기 알바 모집", "주말 알바 급구"),
    "full_time": ("정직원 채용", "직원 모집 (경력 무관)", "정규직 채용 (4대보험)"),
    "freelance": ("프리랜서 구합니다", "외주 작업자 모집", "건별 의뢰"),
}
DESCRIPTION_PARTS = (
    ("{who}에서 함께 일할 분을 모집합니다.", "안녕하세요, {who}입니다. 구인 공고입니다.", "{who} 직원 채용합니다."),
    ("근무 시간은 협의 가능합니다.", "주 5일 근무, 점심시간 1시간입니다.", "주말 근무 가능하신 분 우대합니다."),
    ("식사 제공, 교통비 지원.", "초보 가능, 친절하게 알려 드립니다.", "경력자 우대, 장기 근무 시 급여 인상."),
    (
        "관심 있는 분들의 많은 지원 바랍니다.",
        "앱의 지원하기 버튼으로 지원해 주세요.",
        "성실하게 오래 함께하실 분 기다립니다.",
    ),
)
BUSINESS_PREFIXES = (
    "맛있는",
    "행복한",
    "착한",
    "든든한",
    "바른",
    "푸른",
    "미소",
    "참좋은",
    "별빛",
    "한빛",
    "다온",
    "가온",
)
BUSINESS_KINDS = {
    "food_service": "식당", "retail": "마트", "delivery": "물류", "office": "상사", "customer_service": "고객센터",
    "manufacturing": "산업", "cleaning": "클린", "care": "돌봄센터", "education": "학원", "it": "스튜디오",
    "events": "이벤트", "errands": "심부름센터",
}  # fmt: skip
FAMILY_NAMES = ("김", "김", "김", "이", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서")
GIVEN_NAMES = (
    "민준", "서연", "지훈", "하은", "도윤", "지우", "서준", "수빈", "예준", "지민", "현우", "유진",
    "건우", "채원", "민서", "준서", "지아", "우진", "다은", "승현", "영희", "미경", "정호", "은정",
)  # fmt: skip
APPLICATION_MESSAGES = (
    "",
    "",
    "",
    "안녕하세요, 근처에 살고 있어 성실하게 일할 수 있습니다.",
    "주말 근무 가능합니다. 연락 기다리겠습니다.",
    "관련 경력 2년 있습니다.",
    "바로 출근 가능합니다.",
)
FALLBACK_MINIMUM_WAGE = {2024: 9_860, 2025: 10_030, 2026: 10_320}


def copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return are escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _cumulative(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, [c / total for c in cum]


class _Weighted:
    """A weighted choice that costs one random() and one bisect (random.choices rebuilds its table per call)."""

    __slots__ = ("cum", "rng", "values")

    def __init__(self, rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> None:
        self.rng = rng
        self.values, self.cum = _cumulative(pairs)

    def __call__(self) -> Any:
        return self.values[min(bisect_right(self.cum, self.rng.random()), len(self.values) - 1)]


# --- COPY plumbing ----------------------------------------------------------------------------------------
class _Table:
    """Pending COPY lines of one table. Lines end with a newline; the column order is ``columns``."""

    __slots__ = ("columns", "lines", "name", "rows")

    def __init__(self, name: str, columns: Sequence[str]) -> None:
        self.name = name
        self.columns = list(columns)
        self.lines: list[str] = []
        self.rows = 0


class _Writer:
    """Runs the COPY statements in a thread, so PostgreSQL (the other core) works while Python generates.

    The main thread only generates: it never touches the connection while the writer runs. Chunks are
    written in the order they were queued, every chunk lists its tables parents first."""

    def __init__(self, raw_connection: Any) -> None:
        self.connection = raw_connection
        self.queue: queue.Queue[list[tuple[str, list[str]]] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="reports-data-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the main thread raises at its next put
            try:
                with self.connection.cursor() as cursor:
                    for sql, lines in chunk:
                        with cursor.copy(sql) as copy:
                            for start in range(0, len(lines), 20_000):
                                copy.write("".join(lines[start : start + 20_000]))
            except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
                self.error = error

    def put(self, chunk: list[tuple[str, list[str]]]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class _Ordered:
    """Rows whose ids must follow time: held in a heap until the generator's clock passes their time.

    Postings are generated in ``created_at`` order, and nothing generated later happens before its posting
    was created, so a row timed before the current posting's ``created_at`` can get the next id. A payload
    is the line after the id (and after the external id when the table has one), or a callable that makes
    it from the id (a case pushes its children once it knows its id; a decision records its id for the
    appeals and reviews that point at it)."""

    __slots__ = ("external", "heap", "last_id", "seq", "table")

    def __init__(self, table: _Table, external: str = "") -> None:
        self.table = table
        self.external = external
        self.heap: list[tuple[int, int, Any]] = []
        self.seq = itertools.count()
        self.last_id = 0

    def push(self, at: int, payload: str | Callable[[int], str]) -> None:
        heapq.heappush(self.heap, (at, next(self.seq), payload))

    def release(self, before: float) -> None:
        heap, lines, external = self.heap, self.table.lines, self.external
        pop = heapq.heappop
        while heap and heap[0][0] < before:
            payload = pop(heap)[2]
            self.last_id += 1
            i = self.last_id
            text = payload if payload.__class__ is str else payload(i)
            lines.append(f"{i}\t{external}{i:08d}{text}" if external else f"{i}{text}")


def _drop_secondary_indexes(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the foreign keys, unique constraints and indexes of ``tables`` (not their primary keys) and
    return the statements that recreate them as they were (names and definitions from the catalog).

    The caller holds a transaction: if anything fails, the rollback brings them back."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid), contype
        FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
        FROM pg_index AS i
        WHERE indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
          )
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    foreign = [row for row in constraints if row[3] == "f"]
    unique = [row for row in constraints if row[3] == "u"]
    for table, name, _definition, _kind in foreign + unique:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return (
        [definition for _name, definition in indexes]
        + [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition, _kind in unique]
        + [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition, _kind in foreign]
    )


class _Slotted:
    """``_Ordered`` for the millions of applications: rows go into 10-minute buckets, and a bucket is sorted
    once when the clock has passed it (a heap push and pop per row cost twice as much)."""

    SLOT = 600
    __slots__ = ("buckets", "external", "last_id", "next_slot", "table")

    def __init__(self, table: _Table, external: str, first: int) -> None:
        self.table = table
        self.external = external
        self.buckets: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
        self.next_slot = first // self.SLOT
        self.last_id = 0

    def release(self, before: float) -> None:
        buckets = self.buckets
        if not buckets:
            return
        stop = max(buckets) + 1 if before == math.inf else int(before) // self.SLOT
        lines, external, i = self.table.lines, self.external, self.last_id
        for slot in range(self.next_slot, stop):
            rows = buckets.pop(slot, None)
            if rows:
                rows.sort(key=itemgetter(0))
                for _at, text in rows:
                    i += 1
                    lines.append(f"{i}\t{external}{i:08d}{text}")
        self.last_id = i
        self.next_slot = max(self.next_slot, stop)


# --- the simulated moderation history ----------------------------------------------------------------------
class _Decision:
    __slots__ = ("action", "after", "at", "before", "clause", "id", "moderator", "note", "remove_mode", "template",
                 "version")  # fmt: skip

    def __init__(self, at: int, action: str, moderator: int | None, version: int) -> None:
        self.at = at
        self.action = action
        self.moderator = moderator
        self.version = version
        self.template: int | None = None
        self.clause = ""
        self.note = ""
        self.remove_mode = ""
        self.before = ""
        self.after = ""
        self.id = 0  # set when the row is written


class _Case:
    """One case's whole life, simulated before any of its rows is written."""

    __slots__ = (
        "appeal", "auto_hidden", "band", "category", "changes", "claimed_at", "claimed_by", "clause", "decisions",
        "due", "escalated", "events", "excluded", "hit_confirmed", "hits", "is_appeal", "kind", "last_action",
        "opened", "region", "report_resolved", "report_status", "reporters", "reports", "resolved", "reviews",
        "score", "sort_at", "status", "target", "version",
    )  # fmt: skip

    def __init__(self, kind: str, target: int, opened: int, region: str, category: str) -> None:
        self.kind = kind  # target kind: posting / employer / seeker
        self.target = target
        self.opened = opened
        self.sort_at = opened  # the first opening: an appeal re-opens the case later, its id stays
        self.region = region
        self.category = category
        self.status = "open"
        self.band = 1
        self.score = 0.0
        self.due = opened
        self.resolved: int | None = None
        self.escalated: int | None = None
        self.version = 1
        self.claimed_by: int | None = None
        self.claimed_at: int | None = None
        self.excluded: int | None = None
        self.is_appeal = False
        self.auto_hidden = False
        self.clause = ""
        self.last_action = ""
        self.reporters = 0
        # (filed_at, reporter kind, reporter external id, reason, text)
        self.reports: list[tuple[int, str, str, str, str]] = []
        self.report_status = "open"
        self.report_resolved: int | None = None
        # (rule id, weight, mode, evidence JSON (COPY-escaped), created_at)
        self.hits: list[tuple[int, int, str, str, int]] = []
        self.hit_confirmed = NULL
        self.decisions: list[_Decision] = []
        # (at, kind, actor id, actor label, message or a function of nothing that makes it)
        self.events: list[tuple[int, str, int | None, str, str | Callable[[], str]]] = []
        # (decision, filed_at, status, resolved_at, resolution, text)
        self.appeal: tuple[_Decision, int, str, int | None, _Decision | None, str] | None = None
        # (decision, status, reviewer, completed_at, note)
        self.reviews: list[tuple[_Decision, str, int | None, int | None, str]] = []
        # The posting's status changes made by the decisions: (at, new status).
        self.changes: list[tuple[int, str]] = []


# --- the generator ----------------------------------------------------------------------------------------
class _Generator:
    def __init__(
        self,
        *,
        postings: int,
        applications: int,
        cases: int,
        days: int,
        end: dt.date,
        seed: int,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.n_postings = postings
        self.n_applications = applications
        self.n_cases = cases
        self.rng = random.Random(seed)
        self.say = progress or (lambda _message: None)
        midnight_after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=SEOUL)
        self.window_start = int(dt.datetime.combine(end - dt.timedelta(days=days - 1), dt.time.min, SEOUL).timestamp())
        # Nothing happens after "now": when the window ends today, it ends at the current time.
        self.window_end = min(int(midnight_after.timestamp()), int(time.time()))
        if self.window_end - self.window_start < HOUR:
            raise ValueError("The time window is empty: `end` lies too far in the future.")
        self.days = days
        self.n_employers = max(1, postings // 20)
        self.n_seekers = max(10, applications // 10)
        self._clock()

    # --- timestamps ----------------------------------------------------------------------------------------
    def _clock(self) -> None:
        """Timestamps are ints (epoch seconds) until written; a string per day and per second of the day
        make formatting two list lookups (datetime.isoformat for 10 million values would take a minute)."""
        first = self.window_start - 5 * 366 * DAY
        last = self.window_end + 2 * 366 * DAY
        self.base_day = first // DAY
        day0 = dt.date(1970, 1, 1) + dt.timedelta(days=self.base_day)
        count = last // DAY - self.base_day + 1
        self.day_text = [(day0 + dt.timedelta(days=i)).isoformat() + " " for i in range(count)]
        self.date_text = [text[:10] for text in self.day_text]
        self.second_text = [f"{h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]

    def ts(self, at: int | None) -> str:
        if at is None:
            return NULL
        day = at // DAY - self.base_day
        if day < 0:
            raise ValueError(f"timestamp {at} before the clock's range")
        return self.day_text[day] + self.second_text[at % DAY]

    def kst_date(self, at: int) -> str:
        return self.date_text[(at + KST_OFFSET) // DAY - self.base_day]

    # --- set-up through the ORM (a few dozen rows) -----------------------------------------------------------
    def _prepare(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        from backoffice.roles import MODERATOR, SENIOR_MODERATOR
        from jobs.models import MinimumWage
        from moderation.models import ReasonTemplate, Rule

        user_model = get_user_model()
        # One hash for all: PBKDF2 at production strength costs ~0.5 s per call.
        password = make_password(MODERATOR_PASSWORD)
        joined = dt.datetime.fromtimestamp(self.window_start - 60 * DAY, tz=dt.UTC)
        ids: dict[str, int] = {}
        for group_name, names in ((MODERATOR, MODERATORS), (SENIOR_MODERATOR, SENIOR_MODERATORS)):
            group, _created = Group.objects.get_or_create(name=group_name)
            for name in names:
                user, _created = user_model.objects.get_or_create(
                    username=name,
                    defaults={
                        "email": f"{name}@example.com",
                        "password": password,
                        "is_staff": True,
                        "date_joined": joined,
                    },
                )
                user.groups.add(group)
                ids[name] = user.pk
        self.user_names = {pk: name for name, pk in ids.items()}
        self.moderators = [ids[name] for name in MODERATORS]
        self.seniors = [ids[name] for name in SENIOR_MODERATORS]
        # Uneven workloads (some moderators decide three times as much as others), as "decisions per
        # moderator" should show; seniors decide ordinary cases too, less often.
        workload = [(pk, 1.0 / (1 + 0.12 * i)) for i, pk in enumerate(self.rng.sample(self.moderators, 20))]
        workload += [(pk, 0.35) for pk in self.seniors]
        self.pick_moderator = _Weighted(self.rng, workload)

        if not Rule.objects.exists():
            # The default-rules migration normally creates them; a database where someone deleted them gets
            # the first eight of that migration's list.
            defaults = importlib.import_module("moderation.migrations.0005_default_rules").DEFAULT_RULES
            for row in defaults[:8]:
                Rule.objects.create(**row)
        rules = list(Rule.objects.order_by("id").values("id", "name", "kind", "clause", "weight", "mode"))
        self.flag_rules = [r for r in rules if r["mode"] == "flag"]
        self.auto_rules = [r for r in rules if r["mode"] == "auto_hide"]
        self.dry_rules = [r for r in rules if r["mode"] == "dry_run"]
        if not self.flag_rules:
            self.flag_rules = [r for r in rules if r["mode"] != "dry_run"] or rules
        self.pick_flag_rule = _Weighted(
            self.rng, [(r, SCREENING_RULE_WEIGHT.get(r["kind"], 1.0)) for r in self.flag_rules]
        )
        self.evidence = {
            r["id"]: copy_text(json.dumps(EVIDENCE.get(r["kind"], EVIDENCE["keywords"]), ensure_ascii=False))
            for r in rules
        }
        self.templates = {
            (t.action, t.clause): (t.pk, t.clause, copy_text(t.title))
            for t in ReasonTemplate.objects.filter(active=True)
        }
        self.minimum_wage = dict(MinimumWage.objects.values_list("year", "hourly_amount")) or FALLBACK_MINIMUM_WAGE

    def _check_empty(self) -> None:
        from jobs.models import Application, Employer, JobPosting, Seeker
        from moderation.models import Appeal, Case, CaseEvent, Decision, Report, RuleHit, SecondReview

        for model in (Employer, Seeker, JobPosting, Application, Case, Report, RuleHit, Decision, CaseEvent, Appeal,
                      SecondReview):  # fmt: skip
            if model._default_manager.exists():
                raise RuntimeError(
                    f"{model._meta.db_table} is not empty: generate() needs a freshly migrated database "
                    "(it gives ids explicitly)."
                )

    def _tables(self) -> None:
        """The COPY column lists, checked against the models: a NOT NULL column without a value, or a
        renamed one, fails here by name instead of as a COPY error after a minute of generating."""
        from jobs.models import Application, Employer, JobPosting, Seeker
        from moderation.models import Appeal, Case, CaseEvent, Decision, Report, RuleHit, SecondReview

        specs: list[tuple[str, Any, str]] = [
            ("employer", Employer, "id external_id created_at updated_at source_updated_at business_name "
             "business_number phone region_code verification_status account_status suspended_until"),
            ("seeker", Seeker, "id external_id created_at updated_at source_updated_at display_name phone birth_year "
             "region_code account_status suspended_until last_active_at anonymized_at"),
            ("posting", JobPosting, "id external_id created_at updated_at source_updated_at employer_id title "
             "description employment_type wage_type wage_amount hours_per_week region_code category starts_on ends_on "
             "status status_changed_at published_at expires_at closed_at close_reason content_fingerprint "
             "application_count first_application_at"),
            ("case", Case, "id target_kind target_key posting_id employer_id seeker_id status band score due_at "
             "opened_at resolved_at escalated_at version claimed_by_id claimed_at claim_expires_at "
             "excluded_moderator_id is_appeal auto_hidden primary_reason region_code category report_count "
             "reporter_count hit_count last_decision_action"),
            ("report", Report, "id external_id target_kind target_key posting_id employer_id seeker_id reporter_kind "
             "reporter_external_id reason text status case_id filed_at resolved_at"),
            ("hit", RuleHit, "id rule_id posting_id case_id weight mode evidence created_at confirmed"),
            ("decision", Decision, "id case_id action moderator_id reason_template_id clause note remove_mode "
             "posting_status_before posting_status_after case_version created_at undone_at undone_by_id"),
            ("appeal", Appeal, "id decision_id case_id text status filed_at resolved_at resolution_id"),
            ("review", SecondReview, "id decision_id status reviewer_id note created_at completed_at"),
            ("event", CaseEvent, "id case_id kind actor_id actor_label message created_at"),
            ("application", Application, "id external_id posting_id seeker_id status submitted_at viewed_at "
             "shortlisted_at hired_at rejected_at withdrawn_at status_changed_at created_at updated_at "
             "source_updated_at reminded_at message"),
        ]  # fmt: skip
        self.models = [model for _key, model, _columns in specs]
        self.tables: dict[str, _Table] = {}
        for key, model, columns in specs:
            names = columns.split()
            by_column = {f.column: f for f in model._meta.concrete_fields}
            unknown = [name for name in names if name not in by_column]
            missing = [c for c, f in by_column.items() if c not in names and not f.null]
            if unknown or missing:
                raise RuntimeError(
                    f"{model._meta.db_table}: unknown columns {unknown}, NOT NULL columns missing {missing}"
                )
            self.tables[key] = _Table(model._meta.db_table, names)
        t = self.tables
        self.cases = _Ordered(t["case"])
        self.reports = _Ordered(t["report"], EXTERNAL_PREFIX + "r-")
        self.hits = _Ordered(t["hit"])
        self.decisions = _Ordered(t["decision"])
        self.appeals = _Ordered(t["appeal"])
        self.reviews = _Ordered(t["review"])
        self.events = _Ordered(t["event"])
        self.applications = _Slotted(t["application"], EXTERNAL_PREFIX + "a-", self.window_start)
        # Release order: a case pushes its children when released; decisions get their ids before the
        # appeals and reviews that print them.
        self.ordered = [self.cases, self.reports, self.hits, self.decisions, self.appeals, self.reviews, self.events,
                        self.applications]  # fmt: skip

    def _flush(self, force: bool = False) -> None:
        if not force and sum(len(t.lines) for t in self.tables.values()) < CHUNK:
            return
        chunk = []
        for table in self.tables.values():  # parents first
            if table.lines:
                sql = f'COPY "{table.name}" ({", ".join(table.columns)}) FROM STDIN'
                chunk.append((sql, table.lines))
                table.rows += len(table.lines)
                table.lines = []
        # (_Ordered reads table.lines at every release, so it appends to the new lists.)
        if chunk:
            self.writer.put(chunk)

    def _release(self, before: float) -> None:
        for ordered in self.ordered:
            ordered.release(before)
        self._flush()

    # --- entry point -----------------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        from django.core.management.color import no_style
        from django.db import connection

        started = time.perf_counter()
        self._check_empty()
        self._prepare()
        self._tables()
        connection.ensure_connection()
        raw = connection.connection
        # One transaction for the whole load: a failure leaves the database as it was (indexes included),
        # and no COPY chunk pays for a commit.
        with raw.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                rebuild = _drop_secondary_indexes(cursor, [t.name for t in self.tables.values()])
                self.writer = _Writer(raw)
                try:
                    self._people()
                    self._account_cases()
                    self._postings(started)
                    self._release(math.inf)
                    self._flush(force=True)
                finally:
                    self.writer.close()
                self.say(f"rows written in {time.perf_counter() - started:.0f} s; rebuilding indexes and constraints")
                # Sorting each index once is several times faster than maintaining it row by row; re-adding
                # the foreign keys and unique constraints checks every row against them.
                # Memory for the index sorts and the foreign-key checks' hash joins: the defaults (64 MB / 4 MB)
                # make them spill to disk at a million postings and take minutes instead of seconds.
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                cursor.execute("SET LOCAL work_mem = '256MB'")
                for sql in rebuild:
                    cursor.execute(sql)
                for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                    cursor.execute(sql)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            self.say(f"committed at {time.perf_counter() - started:.0f} s; ANALYZE")
            cursor.execute("ANALYZE")
        counts = {
            "employers": self.tables["employer"].rows,
            "seekers": self.tables["seeker"].rows,
            "postings": self.tables["posting"].rows,
            "applications": self.tables["application"].rows,
            "cases": self.tables["case"].rows,
            "reports": self.tables["report"].rows,
            "rule_hits": self.tables["hit"].rows,
            "decisions": self.tables["decision"].rows,
            "appeals": self.tables["appeal"].rows,
            "second_reviews": self.tables["review"].rows,
            "case_events": self.tables["event"].rows,
            "moderators": len(self.moderators) + len(self.seniors),
        }
        self.say(
            f"done in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        )
        return counts

    # --- employers and seekers ------------------------------------------------------------------------------
    def _people(self) -> None:
        from jobs.regions import REGIONS

        rng, ts = self.rng, self.ts
        random_ = rng.random
        # random.choice costs ten times this (it draws bits and rejects); the bias of int(random() * n)
        # is far below anything a report could see.
        self.pick = pick = lambda seq: seq[int(random_() * len(seq))]
        self.pick_region = _Weighted(rng, [(code, SIDO_WEIGHT.get(sido, 1.0)) for code, (sido, *_) in REGIONS.items()])
        self.pick_category = _Weighted(rng, CATEGORIES)
        self.pick_employment = _Weighted(rng, EMPLOYMENT_TYPES)
        self.pick_close_reason = _Weighted(rng, CLOSE_REASONS)
        self.pick_posting_reason = _Weighted(rng, POSTING_REPORT_REASONS)
        self.pick_employer_reason = _Weighted(rng, EMPLOYER_REPORT_REASONS)
        self.pick_seeker_reason = _Weighted(rng, SEEKER_REPORT_REASONS)
        self.mix = {name: _Weighted(rng, pairs) for name, pairs in ACTION_MIX.items()}
        self.district = {code: sigungu for code, (_sido, sigungu, _dong) in REGIONS.items()}

        # Everyone signed up before the window: a posting or an application never predates its author.
        n = self.n_employers
        self.employer_region = [""] * (n + 1)
        self.employer_category = [""] * (n + 1)
        self.employer_name = [""] * (n + 1)
        self.employer_fingerprint = [""] * (n + 1)
        for i in range(1, n + 1):
            created = ts(self.window_start - DAY - int(random_() * 3 * 365 * DAY))
            region, category = self.pick_region(), self.pick_category()
            name = f"{pick(BUSINESS_PREFIXES)}{BUSINESS_KINDS[category]} {self.district[region]}점"
            self.employer_region[i], self.employer_category[i], self.employer_name[i] = region, category, name
            verification = "verified" if random_() < 0.6 else "unverified"
            self.tables["employer"].lines.append(
                f"{i}\t{EXTERNAL_PREFIX}e-{i:08d}\t{created}\t{created}\t{created}\t{name}\t"
                f"{1_000_000_000 + int(9_000_000_000 * random_())}\t"
                f"02-{200 + int(800 * random_())}-{1000 + int(9000 * random_())}\t"
                f"{region}\t{verification}\tactive\t{NULL}\n"
            )
            self._flush()
        # Who posts and who applies is skewed (chains post every day, a few seekers apply everywhere); the
        # permutation keeps the busy ones from all having the lowest ids.
        self.employer_perm = list(range(1, n + 1))
        rng.shuffle(self.employer_perm)

        n = self.n_seekers
        self.seeker_region = [""] * (n + 1)
        for i in range(1, n + 1):
            joined = self.window_start - DAY - int(random_() * 2 * 365 * DAY)
            created = ts(joined)
            region = self.pick_region()
            self.seeker_region[i] = region
            active = joined + int((self.window_end - joined) * (1 - random_() ** 3))
            self.tables["seeker"].lines.append(
                f"{i}\t{EXTERNAL_PREFIX}s-{i:08d}\t{created}\t{created}\t{created}\t"
                f"{pick(FAMILY_NAMES)}{pick(GIVEN_NAMES)}\t010-{1000 + int(9000 * random_())}-"
                f"{1000 + int(9000 * random_())}\t{2007 - int(50 * random_() ** 1.8)}\t{region}\tactive\t{NULL}\t"
                f"{ts(active)}\t{NULL}\n"
            )
            self._flush()
        self.seeker_perm = list(range(1, n + 1))
        rng.shuffle(self.seeker_perm)
        self.say(f"{self.n_employers:,} employers, {self.n_seekers:,} seekers")

    def _pick_seeker(self) -> int:
        return self.seeker_perm[int(self.n_seekers * self.rng.random() ** 1.5)]

    # --- moderation: one case's life ------------------------------------------------------------------------
    def _set_score(self, c: _Case, score: float) -> None:
        c.score = round(score, 1)
        c.band = next((band for band, floor in BAND_THRESHOLDS if score >= floor), 1)
        c.due = c.opened + SLA_HOURS[c.band] * HOUR

    def _report_specs(self, c: _Case, pick_reason: _Weighted, reporter_kind: Callable[[], str]) -> None:
        """1–3 reports (filed_at set after the case's life is known), and the score they give the case."""
        rng = self.rng
        count = 1 if rng.random() < 0.55 else (2 if rng.random() < 0.62 else 3)
        primary = pick_reason()
        reporters: list[tuple[str, str]] = []
        reports = []
        for i in range(count):
            reason = primary if i == 0 or rng.random() < 0.7 else pick_reason()
            if i == 1 and rng.random() < 0.1:
                reporter = reporters[0]  # the same person reports twice: one reporter, two reports
            else:
                for _attempt in range(20):  # distinct people: reporter_count counts them
                    kind = reporter_kind()
                    number = self._pick_seeker() if kind == "seeker" else rng.randint(1, self.n_employers)
                    reporter = (kind, f"{EXTERNAL_PREFIX}{kind[0]}-{number:08d}")
                    if reporter not in reporters:
                        break
                else:
                    break  # tiny populations: fewer reports rather than a repeated reporter
                reporters.append(reporter)
            reports.append((0, reporter[0], reporter[1], reason, copy_text(rng.choice(REPORT_TEXTS[reason]))))
        c.reports = reports
        c.reporters = len(reporters)
        c.clause = rng.choice(REASON_CLAUSES[primary])
        # moderation.policies.score_case, roughly: points per reporter by reason, a bonus for several
        # reporters, the target's exposure or the author's history.
        points = sum(12 * REASON_WEIGHT[r[3]] * (0.8 + 0.5 * rng.random()) for r in reports[: len(reporters)])
        points *= 1 + 0.1 * (len(reporters) - 1)
        self._set_score(c, points + 15 * rng.random())
        c.version = len(reports)  # one bump per report after the first opened it

    def _file_reports(self, c: _Case) -> None:
        """Reports after the first arrive until the case is first resolved (later ones would open a new case)."""
        start = c.sort_at
        end = c.report_resolved if c.report_resolved is not None else self.window_end
        times = sorted(start + int((end - start) * self.rng.random()) for _ in c.reports[1:])
        c.reports = [(at, *report[1:]) for at, report in zip([start, *times], c.reports, strict=True)]

    def _pick_other(self, exclude: int | None, seniors: bool = False) -> int:
        while True:
            who = self.rng.choice(self.seniors) if seniors else self.pick_moderator()
            if who != exclude or (seniors and len(self.seniors) == 1):
                return who

    def _human_step(self, c: _Case, who: int, start: int) -> int | None:
        """A moderator claims the case 2–60 minutes before deciding it. The decision time, or None when the
        window ends first (then the case stays open, under a claim if the claim came before the end)."""
        rng = self.rng
        delay = max(
            5 * MINUTE, int(SLA_HOURS[c.band] * HOUR * rng.lognormvariate(DECISION_DELAY_MU, DECISION_DELAY_SIGMA))
        )
        at = start + delay
        room = min(HOUR, delay - MINUTE)
        claimed = at - int(2 * MINUTE + rng.random() * (room - 2 * MINUTE))
        if claimed >= self.window_end:
            return None
        c.version += 1
        c.events.append((claimed, "claimed", who, self.user_names[who], "Claimed"))
        if at >= self.window_end:
            c.claimed_by, c.claimed_at = who, claimed
            return None
        return at

    def _decide(
        self, c: _Case, action: str, who: int, at: int, posting: str | None, remove_mode: str = ""
    ) -> tuple[_Decision, str | None]:
        """One human decision (as services.case_decide records it); returns it and the posting's new status."""
        rng = self.rng
        d = _Decision(at, action, who, c.version)
        c.version += 1
        title = ""
        if action == "escalate":
            d.note = copy_text(rng.choice(ESCALATE_NOTES))
        else:
            key = (action, "none") if action in ("approve", "dismiss") else (action, c.clause)
            template = self.templates.get(key)
            if template is None and action == "sanction":
                template = self.templates.get(("remove", c.clause))  # a sanction may use a removal's text
            if template is not None:
                d.template, d.clause, title = template
        if posting is not None:
            if action in UPHOLDING:
                d.remove_mode = remove_mode or ("reject" if rng.random() < 0.35 else "hide")
                new = "rejected" if d.remove_mode == "reject" else "hidden"
                d.before, d.after = posting, new
                c.changes.append((at, new))
                posting = new
            elif (action == "approve" or (action == "dismiss" and c.auto_hidden)) and posting in (
                "pending_review",
                "hidden",
                "rejected",
            ):
                d.before, d.after = posting, "published"
                c.changes.append((at, "published"))
                posting = "published"
        c.decisions.append(d)
        message = ACTION_LABEL[action] + (f" — {title}" if title else "") + (f" — {d.note}" if d.note else "")
        c.events.append((at, "decided", who, self.user_names[who], message))
        return d, posting

    def _resolved(self, c: _Case, d: _Decision) -> None:
        upheld = d.action in UPHOLDING
        c.status, c.resolved, c.last_action = "resolved", d.at, d.action
        c.hit_confirmed = "t" if upheld else "f"  # every resolving decision re-confirms the case's hits
        if c.report_resolved is None:
            c.report_status = "upheld" if upheld else "dismissed"
            c.report_resolved = d.at
        if d.action == "approve" and self.rng.random() < SECOND_REVIEW_SHARE:
            reviewer = self._pick_other(d.moderator)
            done = d.at + HOUR + int(self.rng.random() * 3 * DAY)
            if done >= self.window_end:
                c.reviews.append((d, "pending", None, None, ""))
            else:
                agreed = self.rng.random() < 0.9
                c.reviews.append(
                    (d, "agreed" if agreed else "disagreed", reviewer, done, "" if agreed else "정책 해석 차이")
                )
                message = "Second review: " + ("agreed" if agreed else "disagreed")
                c.events.append((done, "second_review", reviewer, self.user_names[reviewer], message))

    def _lifecycle(self, c: _Case, mix: _Weighted, posting: str | None, natural_end: int | None) -> None:
        """Claims and decisions until the case is resolved or the window ends: auto-hide, a moderator's
        decision (sometimes an escalation first, then a senior's), a later appeal of a removal."""
        rng, end = self.rng, self.window_end
        if c.auto_hidden:
            name = copy_text(self.auto_rule_name)
            d = _Decision(c.opened, "remove", None, c.version - 1)
            d.remove_mode, d.before, d.after, d.note = "hide", posting or "", "hidden", name
            c.decisions.append(d)
            c.changes.append((c.opened, "hidden"))
            posting = "hidden"
            c.events.append((c.opened, "auto_hidden", None, "auto-hide", f"Posting hidden automatically ({name})"))
        who = self.pick_moderator()
        at = self._human_step(c, who, c.opened)
        if at is None:
            return
        if rng.random() < ESCALATE_SHARE:
            self._decide(c, "escalate", who, at, posting)
            c.status, c.escalated, c.last_action = "escalated", at, "escalate"
            c.due = at + SLA_HOURS[c.band] * HOUR
            who = self._pick_other(who, seniors=True)
            at = self._human_step(c, who, at)
            if at is None:
                return
        action = mix()
        if posting == "published" and natural_end is not None and action in UPHOLDING and at >= natural_end:
            action = "dismiss"  # the posting closed or expired first, and a closed posting cannot be hidden
        d, posting = self._decide(c, action, who, at, posting)
        self._resolved(c, d)
        if action != "remove" or rng.random() >= APPEAL_SHARE:
            return
        # services.decision_appeal: the case re-opens for a different moderator, scored up by the appeal.
        filed = at + 6 * HOUR + int(rng.random() * 7 * DAY)
        if filed >= end:
            return
        text = copy_text(rng.choice(APPEAL_TEXTS))
        c.is_appeal, c.excluded, c.status, c.opened, c.resolved, c.escalated = True, who, "open", filed, None, None
        c.version += 1
        self._set_score(c, c.score + 15)
        c.events.append((filed, "appealed", None, "marketplace", lambda d=d: f"Appeal of decision {d.id} (Remove)"))
        second = self._pick_other(who)
        at = self._human_step(c, second, filed)
        if at is None:
            c.appeal = (d, filed, "pending", None, None, text)
            return
        resolution, posting = self._decide(
            c, "approve" if rng.random() < OVERTURN_SHARE else "remove", second, at, posting, d.remove_mode
        )
        c.appeal = (d, filed, "overturned" if resolution.action == "approve" else "upheld", at, resolution, text)
        self._resolved(c, resolution)

    def _account_cases(self) -> None:
        """Cases on employers and seekers (user reports only), opened anywhere in the window; one target
        each, so "one open case per target" holds without bookkeeping."""
        rng = self.rng
        employer_cases = min(round(self.n_cases * EMPLOYER_CASE_SHARE), self.n_employers)
        seeker_cases = min(self.n_cases - round(self.n_cases * POSTING_CASE_SHARE) - employer_cases, self.n_seekers)
        seeker_cases = max(0, seeker_cases)
        self.posting_cases_left = min(self.n_cases - employer_cases - seeker_cases, self.n_postings)
        self.postings_left = self.n_postings
        span = self.window_end - self.window_start - HOUR
        for kind, count, pool, pick_reason, reporter in (
            ("employer", employer_cases, self.n_employers, self.pick_employer_reason, lambda: "seeker"),
            ("seeker", seeker_cases, self.n_seekers, self.pick_seeker_reason, lambda: "employer"),
        ):
            regions = self.employer_region if kind == "employer" else self.seeker_region
            for target in rng.sample(range(1, pool + 1), count):
                c = _Case(kind, target, self.window_start + int(rng.random() * span), regions[target], "")
                self._report_specs(c, pick_reason, reporter)
                self._set_score(c, c.score + (8 * rng.randint(0, 2) if rng.random() < 0.3 else 0))
                self._lifecycle(c, self.mix["account"], None, None)
                self._file_reports(c)
                self.cases.push(c.sort_at, self._case_payload(c))
        self.say(f"{employer_cases + seeker_cases:,} account cases planned")

    # --- writing a case and its children (when its id is known) -----------------------------------------------
    def _case_payload(self, c: _Case) -> Callable[[int], str]:
        return lambda cid: self._emit_case(c, cid)

    def _emit_case(self, c: _Case, cid: int) -> str:
        ts = self.ts
        kind = c.kind
        posting = c.target if kind == "posting" else NULL
        target = (
            f"\t{kind}\t{kind}:{c.target}\t{posting}\t{c.target if kind == 'employer' else NULL}\t"
            f"{c.target if kind == 'seeker' else NULL}"
        )
        reports_resolved = ts(c.report_resolved)
        for filed, reporter_kind, reporter, reason, text in c.reports:
            self.reports.push(
                filed,
                f"{target}\t{reporter_kind}\t{reporter}\t{reason}\t{text}\t{c.report_status}\t{cid}\t{ts(filed)}\t"
                f"{reports_resolved}\n",
            )
        for rule, weight, mode, evidence, created in c.hits:
            self.hits.push(
                created,
                f"\t{rule}\t{c.target}\t{cid}\t{weight}\t{mode}\t{evidence}\t{ts(created)}\t{c.hit_confirmed}\n",
            )
        for d in c.decisions:
            self.decisions.push(d.at, lambda i, d=d: self._decision_line(d, cid, i))
        for d, status, reviewer, done, note in c.reviews:
            self.reviews.push(
                d.at, lambda _i, d=d, s=status, r=reviewer, t=done, n=note: self._review_line(d, s, r, t, n)
            )
        if c.appeal is not None:
            appeal = c.appeal
            # Keyed by its last change: the resolving decision must have its id when the appeal is written.
            self.appeals.push(max(appeal[1], appeal[3] or 0), lambda _i: self._appeal_line(appeal, cid))
        for at, event_kind, actor, label, message in c.events:
            if isinstance(message, str):
                self.events.push(at, f"\t{cid}\t{event_kind}\t{actor or NULL}\t{label}\t{message}\t{ts(at)}\n")
            else:
                self.events.push(
                    at,
                    lambda _i, a=at, k=event_kind, lb=label, m=message: f"\t{cid}\t{k}\t{NULL}\t{lb}\t{m()}\t{ts(a)}\n",
                )
        claim_expires = c.claimed_at + CLAIM_SECONDS if c.claimed_at is not None else None
        return (
            f"{target}\t{c.status}\t{c.band}\t{c.score}\t{ts(c.due)}\t{ts(c.opened)}\t{ts(c.resolved)}\t"
            f"{ts(c.escalated)}\t{c.version}\t{c.claimed_by or NULL}\t{ts(c.claimed_at)}\t{ts(claim_expires)}\t"
            f"{c.excluded or NULL}\t{'t' if c.is_appeal else 'f'}\t{'t' if c.auto_hidden else 'f'}\t"
            f"{c.reports[0][3] if c.reports else ''}\t{c.region}\t{c.category}\t{len(c.reports)}\t{c.reporters}\t"
            f"{len(c.hits)}\t{c.last_action}\n"
        )

    def _decision_line(self, d: _Decision, cid: int, i: int) -> str:
        d.id = i
        return (
            f"\t{cid}\t{d.action}\t{d.moderator or NULL}\t{d.template or NULL}\t{d.clause}\t{d.note}\t{d.remove_mode}\t"
            f"{d.before}\t{d.after}\t{d.version}\t{self.ts(d.at)}\t{NULL}\t{NULL}\n"
        )

    def _review_line(self, d: _Decision, status: str, reviewer: int | None, done: int | None, note: str) -> str:
        return f"\t{d.id}\t{status}\t{reviewer or NULL}\t{note}\t{self.ts(d.at)}\t{self.ts(done)}\n"

    def _appeal_line(self, appeal: tuple[_Decision, int, str, int | None, _Decision | None, str], cid: int) -> str:
        d, filed, status, resolved, resolution, text = appeal
        resolution_id = resolution.id if resolution is not None else NULL
        return f"\t{d.id}\t{cid}\t{text}\t{status}\t{self.ts(filed)}\t{self.ts(resolved)}\t{resolution_id}\n"

    # --- postings and applications, in created_at order ------------------------------------------------------
    def _postings(self, started: float) -> None:
        rng, end = self.rng, self.window_end
        pick_hour = _Weighted(rng, list(enumerate(HOUR_WEIGHTS)))
        # Postings per day: fewer at weekends, 25 % growth over the window, today only up to now.
        starts, weights = [], []
        for day in range(self.days):
            day_start = self.window_start + day * DAY
            if day_start >= end:
                break
            weight = WEEKDAY_WEIGHTS[dt.datetime.fromtimestamp(day_start, SEOUL).weekday()]
            weight *= 1 + 0.25 * day / max(1, self.days - 1)
            if day_start + DAY > end:
                covered = sum(
                    w * min(1.0, max(0.0, (end - day_start - h * HOUR) / HOUR)) for h, w in enumerate(HOUR_WEIGHTS)
                )
                weight *= covered / sum(HOUR_WEIGHTS)
            starts.append(day_start)
            weights.append(weight)
        total, cumulative, assigned = sum(weights), 0.0, 0
        self.exposure_sum, self.exposure_n = 0.0, 0
        self.wage_by_year: dict[int, int] = {}
        pid = 0
        for day_start, weight in zip(starts, weights, strict=True):
            cumulative += weight
            count = round(self.n_postings * cumulative / total) - assigned
            assigned += count
            times = []
            for _ in range(count):
                while (at := day_start + pick_hour() * HOUR + int(rng.random() * HOUR)) >= end:
                    pass
                times.append(at)
            times.sort()
            for created in times:
                pid += 1
                self._posting(pid, created)
                if pid % 1000 == 0:
                    self._release(created)
                if pid % 100_000 == 0:
                    self.say(
                        f"postings {pid:,}/{self.n_postings:,}, applications {self.applications.last_id:,}, "
                        f"cases {self.cases.last_id:,} ({time.perf_counter() - started:.0f} s)"
                    )

    def _min_wage(self, at: int) -> int:
        year = int(self.kst_date(at)[:4])
        if year not in self.wage_by_year:
            known = self.minimum_wage
            self.wage_by_year[year] = known.get(year) or known[min(known, key=lambda y: abs(y - year))]
        return self.wage_by_year[year]

    def _posting(self, pid: int, created: int) -> None:
        rng, end, ts, pick = self.rng, self.window_end, self.ts, self.pick
        random_ = rng.random
        employer = self.employer_perm[int(self.n_employers * random_() ** 2.2)]
        region = self.employer_region[employer] if random_() < 0.75 else self.pick_region()
        category = self.employer_category[employer] if random_() < 0.7 else self.pick_category()
        employment = self.pick_employment()
        life = LIFETIME[employment]
        # Exactly the planned number of posting cases (selection sampling: each posting is picked with
        # probability cases left / postings left).
        case_kind = None
        if self.posting_cases_left and random_() * self.postings_left < self.posting_cases_left:
            case_kind = "screening" if random_() < SCREENING_SHARE else "report"
            self.posting_cases_left -= 1
        self.postings_left -= 1
        # The employer's own timeline, drawn now, placed once the posting is published.
        closes = random_() < CLOSE_SHARE
        close_fraction = 0.05 + 0.9 * random_()
        close_reason = self.pick_close_reason() if closes else ""

        case: _Case | None = None
        below_minimum = False
        published: int | None = None
        # Screening found nothing: published minutes (sometimes hours) after it arrived.
        publish_at = created + 30 + int(MINUTE * rng.lognormvariate(math.log(20), 1.2))
        if case_kind == "report":
            live_end = min(publish_at + (int(life * close_fraction) if closes else life), end)
            if live_end - publish_at < 3 * MINUTE:
                case_kind = "screening"  # too recent to have been reported: the case comes from screening
        if case_kind == "screening":
            # Screening flagged it on arrival: the posting waits in pending_review for the case's decision.
            case = _Case("posting", pid, min(created + 1 + int(random_() * 90), end - 1), region, category)
            case.auto_hidden = bool(self.auto_rules) and random_() < AUTO_HIDDEN_SHARE
            rules = [pick(self.auto_rules) if case.auto_hidden else self.pick_flag_rule()]
            if random_() < 0.25:
                extra = self.pick_flag_rule()
                if extra is not rules[0]:
                    rules.append(extra)
            case.hits = [(r["id"], r["weight"], r["mode"], self.evidence[r["id"]], case.opened) for r in rules]
            case.clause = rules[0]["clause"]
            below_minimum = any(r["kind"] == "min_wage" for r in rules)
            self._set_score(case, min(100.0, float(sum(r["weight"] for r in rules))) + 8 * random_())
            case.version = 2  # opened, then bumped by the hits
            self.auto_rule_name = rules[0]["name"]
            self._lifecycle(case, self.mix["auto_hidden" if case.auto_hidden else "screening"], "pending_review", None)
            published = next((at for at, status in case.changes if status == "published"), None)
        elif publish_at < end:
            published = publish_at
        if published is not None:
            expires = published + life
            closed_at = published + int(life * close_fraction) if closes else None
            natural_end = closed_at or expires
        if case_kind == "report" and published is not None:
            # Reported while live, most often in its first days.
            opened = published + MINUTE + int((live_end - published - MINUTE - 1) * random_() ** 1.5)
            case = _Case("posting", pid, opened, region, category)
            self._report_specs(case, self.pick_posting_reason, lambda: "seeker" if random_() < 0.85 else "employer")
            self._lifecycle(case, self.mix["report"], "published", natural_end)
            self._file_reports(case)
        if case is not None:
            self.cases.push(case.sort_at, self._case_payload(case))

        # The posting's status at the end of the window, from the decisions and its own timeline.
        status, changed = "pending_review", created
        expires_at = closed_at_out = None
        close_out = ""
        app_end = 0
        if published is None:
            if case is not None and case.changes:
                changed, status = case.changes[-1]
        else:
            expires_at = expires
            removal = restore = None
            for at, new in case.changes if case is not None else ():
                if at <= published:
                    continue  # before publication (screening)
                if new != "published" and removal is None:
                    removal = (at, new)
                elif new == "published" and removal is not None:
                    restore = at
            if removal is not None:
                app_end = removal[0]
                if restore is not None:
                    # Restored after an overturned appeal: a fresh lifetime if the old one has passed.
                    if expires <= restore:
                        expires_at = restore + life
                    status, changed = ("expired", expires_at) if expires_at <= end else ("published", restore)
                else:
                    changed, status = removal
            else:
                app_end = min(natural_end, end)
                if natural_end > end:
                    status, changed = "published", published
                elif closed_at is not None:
                    status, changed, closed_at_out, close_out = "closed", closed_at, closed_at, close_reason
                else:
                    status, changed = "expired", expires
        hire_by = closed_at_out if close_out == "filled" else None
        count, first, hired = self._applications(pid, published, app_end, hire_by)
        if close_out == "filled" and not hired:
            close_out = "cancelled"  # nobody was hired through the marketplace

        # Content.
        minimum = self._min_wage(published or created)
        hours: int | str = NULL
        if below_minimum:
            wage_type, wage = "hourly", minimum - 100 * (1 + int(15 * random_()))
            hours = pick((12, 15, 20, 25, 30))
        elif employment == "part_time":
            if random_() < 0.85:
                wage_type, wage = "hourly", -(-int(minimum * (1 + 0.35 * random_())) // 10) * 10
            else:
                wage_type, wage = "daily", -(-int(8 * minimum * (1 + 0.6 * random_())) // 1000) * 1000
            hours = pick((12, 15, 15, 16, 20, 20, 24, 25, 28, 30, 35))
        elif employment == "full_time":
            if random_() < 0.9:
                wage_type, wage = "monthly", -(-int(209 * minimum * (1 + 0.8 * random_())) // 10_000) * 10_000
            else:
                wage_type, wage = "hourly", -(-int(minimum * (1 + 0.5 * random_())) // 10) * 10
            hours = 40 if random_() < 0.8 else pick((44, 48, 52))
        elif random_() < 0.6:
            wage_type, wage = "per_project", 10_000 * (10 + int(291 * random_()))
        else:
            wage_type, wage = "daily", -(-int(8 * minimum * (1.2 + random_())) // 1000) * 1000
        starts_on = (
            self.kst_date(created + (1 + int(10 * random_())) * DAY)
            if employment == "part_time" and random_() < 0.3
            else NULL
        )
        name = self.employer_name[employer]
        title = f"{self.district.get(region, '')} {pick(ROLES[category])} {pick(TITLE_SUFFIXES[employment])}"
        description = (
            f"{pick(DESCRIPTION_PARTS[0]).format(who=name)} {pick(DESCRIPTION_PARTS[1])} "
            f"{pick(DESCRIPTION_PARTS[2])} {pick(DESCRIPTION_PARTS[3])}"
        )
        # Re-posts of the same text share the fingerprint (the duplicate rule and reports look for them).
        fingerprint = self.employer_fingerprint[employer]
        if not fingerprint or random_() >= 0.03:
            fingerprint = self.employer_fingerprint[employer] = f"{rng.getrandbits(128):032x}"
        if self.dry_rules and random_() < DRY_RUN_HIT_SHARE and created + 120 < end:
            # Experimental (dry-run) rules record hits without a case; they are never confirmed.
            rule = pick(self.dry_rules)
            at = created + 5 + int(115 * random_())
            self.hits.push(
                at,
                f"\t{rule['id']}\t{pid}\t{NULL}\t{rule['weight']}\t{rule['mode']}\t{self.evidence[rule['id']]}\t{ts(at)}\t{NULL}\n",
            )
        created_text = ts(created)
        changed_text = ts(changed)
        self.tables["posting"].lines.append(
            f"{pid}\t{EXTERNAL_PREFIX}p-{pid:08d}\t{created_text}\t{changed_text}\t{created_text}\t{employer}\t{title}\t"
            f"{description}\t{employment}\t{wage_type}\t{wage}\t{hours}\t{region}\t{category}\t{starts_on}\t{NULL}\t"
            f"{status}\t{changed_text}\t{ts(published)}\t{ts(expires_at)}\t{ts(closed_at_out)}\t{close_out}\t"
            f"{fingerprint}\t{count}\t{ts(first)}\n"
        )

    def _applications(self, pid: int, start: int | None, stop: int, hire_by: int | None) -> tuple[int, int | None, int]:
        """The posting's applications (handed to the time-ordered writer): (count, first submitted_at, hired).

        Applications arrive while the posting is live, most of them early; how many depends on how long it
        was live (a posting removed after an hour gets few). The mean is calibrated on the fly so the total
        lands near the requested number whatever the share of short-lived postings."""
        rng, end = self.rng, self.window_end
        random_ = rng.random
        span = stop - start if start is not None else 0
        exposure = min(1.0, span / (7 * DAY)) ** 0.5 if span > 0 else 0.0
        self.exposure_sum += exposure
        self.exposure_n += 1
        if exposure == 0.0 or self.n_applications == 0 or random_() < ZERO_APPLICATION_SHARE:
            return 0, None, 0
        average_exposure = (self.exposure_sum + 85) / (self.exposure_n + 100)
        mean = self.n_applications / (self.n_postings * (1 - ZERO_APPLICATION_SHARE) * average_exposure) * exposure
        count = int(rng.lognormvariate(math.log(mean) - APPLICATION_SIGMA**2 / 2, APPLICATION_SIGMA) + 0.5)
        count = min(count, self.n_seekers // 2, 3000)
        if count <= 0:
            return 0, None, 0
        assert start is not None
        times = sorted([start + int(span * random_() ** 2) for _ in range(count)])
        hired: set[int] = set()
        if hire_by is not None:
            candidates = [j for j, at in enumerate(times) if at < hire_by - 2 * HOUR]
            wanted = 1 + (random_() < 0.35) + (random_() < 0.1)
            hired = set(rng.sample(candidates, min(wanted, len(candidates))))
        # The hot loop (five million times): timestamps formatted inline, no method calls per row.
        days, seconds, base = self.day_text, self.second_text, self.base_day
        perm, n_seekers = self.seeker_perm, self.n_seekers
        buckets = self.applications.buckets
        messages = APPLICATION_MESSAGES
        n_messages = len(messages)
        seen: set[int] = set()
        for j, submitted in enumerate(times):
            seeker = perm[int(n_seekers * random_() ** 1.5)]
            while seeker in seen:
                seeker = perm[int(n_seekers * random_() ** 1.5)]
            seen.add(seeker)
            submitted_text = changed_text = days[submitted // 86400 - base] + seconds[submitted % 86400]
            viewed_text = shortlisted_text = hired_text = rejected_text = withdrawn_text = NULL
            if j in hired:
                assert hire_by is not None
                at = submitted + int((hire_by - submitted) * (0.5 + 0.5 * random_()))
                hired_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
                viewed = submitted + int((at - submitted) * (0.05 + 0.25 * random_()))
                viewed_text = days[viewed // 86400 - base] + seconds[viewed % 86400]
                at = viewed + int((at - viewed) * (0.2 + 0.5 * random_()))
                shortlisted_text = days[at // 86400 - base] + seconds[at % 86400]
                status = "hired"
            else:
                status = "submitted"
                viewed = shortlisted = 0
                r = random_()
                if r < 0.05:
                    at = submitted + 3600 + int(259_200 * random_())
                    if at < end:
                        status = "withdrawn"
                        withdrawn_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
                elif r < 0.75:
                    # ~70 % get an employer response, most within a day, all within five.
                    at = submitted + int(432_000 * random_() ** 2.5)
                    if at < end:
                        viewed, status = at, "viewed"
                        viewed_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
                        r = random_()
                        if r < 0.22:
                            at = viewed + int(172_800 * random_())
                            if at < end:
                                shortlisted, status = at, "shortlisted"
                                shortlisted_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
                        elif r < 0.62:
                            at = viewed + int(604_800 * random_() ** 2)
                            if at < end:
                                status = "rejected"
                                rejected_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
                if hire_by is not None and status != "withdrawn" and status != "rejected" and random_() < 0.7:
                    # Filled: most of the others are turned down within two days of closing.
                    at = max(hire_by, shortlisted or viewed or submitted) + int(172_800 * random_())
                    if at < end:
                        status = "rejected"
                        rejected_text = changed_text = days[at // 86400 - base] + seconds[at % 86400]
            buckets[submitted // _Slotted.SLOT].append(
                (
                    submitted,
                    f"\t{pid}\t{seeker}\t{status}\t{submitted_text}\t{viewed_text}\t{shortlisted_text}\t{hired_text}\t"
                    f"{rejected_text}\t{withdrawn_text}\t{changed_text}\t{submitted_text}\t{changed_text}\t"
                    f"{changed_text}\t\\N\t{messages[int(n_messages * random_())]}\n",
                )
            )
        return count, times[0], len(hired)


def generate(
    *,
    postings: int = 1_000_000,
    applications: int = 5_000_000,
    cases: int = 200_000,
    days: int = 365,
    end: dt.date | None = None,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated PostgreSQL database (Django's default connection) with ``days`` days of
    history ending at ``end`` (default: today in Asia/Seoul; a window ending today ends now). Returns the row
    count per table.

    The rows are loaded in one transaction; the loaded tables' secondary indexes, unique constraints and
    foreign keys are dropped for the load and recreated (and so re-checked) before the commit. A failure
    rolls everything back except the moderator accounts. Deterministic for a given seed, end date and
    sizes, except a window ending today, which ends at the current time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("reports_data.generate() writes with PostgreSQL's COPY: DATABASE_URL must be PostgreSQL.")
    if postings < 1 or days < 1 or applications < 0 or cases < 0:
        raise ValueError("postings and days must be positive, applications and cases not negative")
    if connection.in_atomic_block:
        raise RuntimeError(
            "generate() runs its own transaction (and DDL, and a COPY thread): call it outside atomic()."
        )
    end = end or dt.datetime.now(SEOUL).date()
    generator = _Generator(
        postings=postings, applications=applications, cases=cases, days=days, end=end, seed=seed, progress=progress
    )
    return generator.run()


# --- command line -----------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=1_000_000, help="job postings (default 1000000)")
    parser.add_argument("--applications", type=int, default=5_000_000, help="applications, about (default 5000000)")
    parser.add_argument("--cases", type=int, default=200_000, help="moderation cases (default 200000)")
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="run although BACKOFFICE_TEST_SERVERS is not set (the script migrates and COPYs: never production)",
    )
    args = parser.parse_args(argv)
    if args.postings < 1 or args.days < 1 or args.applications < 0 or args.cases < 0:
        parser.error("--postings and --days must be positive, --applications and --cases not negative")
    return args


def log(message: str) -> None:
    print(f"[reports-data] {message}", file=sys.stderr, flush=True)


def setup_django(args: argparse.Namespace) -> None:
    """Production settings (as bench/graphql.py), on the throwaway PostgreSQL of tests/servers.py."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/reports_data.py needs a throwaway PostgreSQL in DATABASE_URL; run it through tests/servers.py:\n"
            "  .venv/bin/python tests/servers.py -- .venv/bin/python bench/reports_data.py"
        )
    if os.environ.get("BACKOFFICE_TEST_SERVERS") != "1" and not args.allow_any_database:
        sys.exit(
            "Refusing to run: this script migrates the database in DATABASE_URL and writes millions of rows.\n"
            "Run it through tests/servers.py (throwaway servers), or pass --allow-any-database for a scratch database."
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("DEBUG", "0")
    import warnings

    # STATIC_ROOT does not exist without collectstatic; WhiteNoise says so once. Nothing here serves files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_django(args)
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        log("migrating")
        call_command("migrate", verbosity=0)
    started = time.perf_counter()
    counts = generate(
        postings=args.postings,
        applications=args.applications,
        cases=args.cases,
        days=args.days,
        end=args.end,
        seed=args.seed,
        progress=log,
    )
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
