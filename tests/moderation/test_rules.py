"""Screening rules, pure: each kind on the texts DOMAIN.md names (the violations, their obfuscations, and the
honest texts that only look bad), evidence spans in original coordinates, config validation, and
properties over arbitrary text. No database except where a test says so."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.policies import MinimumWageTable
from moderation.rules import (
    ConfigError,
    EmployerHistory,
    HistoryEntry,
    Hit,
    PostingView,
    compile_rule,
    evidence_identity,
    minhash,
    validate_config,
)
from moderation.rules.normalize import clean, compact, compact_text, digits

DEFAULT_RULES = importlib.import_module("moderation.migrations.0005_default_rules").DEFAULT_RULES
TABLE = MinimumWageTable({2024: 9_860, 2025: 10_030, 2026: 10_320})
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


def view(description: str = "", title: str = "알바 모집", **overrides: Any) -> PostingView:
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "employment_type": "part_time",
        "wage_type": "hourly",
        "wage_amount": 11_000,
        "hours_per_week": 20,
        "created_at": NOW,
        "judged_on": NOW.date(),
        "wage_table": TABLE,
        "posting_id": 1000,
        "employer_id": 1,
    }
    values.update(overrides)
    return PostingView(**values)


def spans_of(hit: Hit | None) -> list[str]:
    return [] if hit is None else [span.text for span in hit.spans]


def assert_spans_point_at_the_original(v: PostingView, hit: Hit) -> None:
    for span in hit.spans:
        original = v.title if span.field == "title" else v.description
        assert 0 <= span.start < span.end <= len(original)
        assert original[span.start : span.end] == span.text


# --- normalisation ---------------------------------------------------------------------------------------
class TestNormalize:
    def test_full_width_and_zero_width_map_back_to_the_original(self) -> None:
        original = "전화 ０１０-12\u200b34"
        normalized = clean(original)
        assert normalized.text == "전화 010-1234"
        start = normalized.text.index("010")
        s, e = normalized.to_original(start, len(normalized.text))
        assert original[s:e] == "０１０-12\u200b34"

    def test_compatibility_jamo_are_kept_as_typed(self) -> None:
        # NFKC would turn ㅋㅌ into conjoining jamo that no rule (and no person) writes.
        assert clean("ㅋㅌ ａｂｃ123").text == "ㅋㅌ abc123"

    def test_compact_drops_spacing_and_filler_and_keeps_the_map(self) -> None:
        original = "현 금-수\u200b거 업무 ABC"
        normalized = compact(clean(original))
        assert normalized.text == "현금수거업무abc"
        s, e = normalized.to_original(0, 4)
        assert original[s:e] == "현 금-수\u200b거"
        assert compact_text(original) == normalized.text

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("공일공-일이삼사-오육칠팔", "010-1234-5678"),
            ("o1o-1234-5678", "010-1234-5678"),
            ("010-일이삼사-5678", "010-1234-5678"),
            ("빵일빵 1234 5678", "010 1234 5678"),
            # Ordinary words made of digit syllables stay words: the runs are too short to be a number.
            ("이사 오일 사일 구인", "이사 오일 사일 구인"),
            ("주 5일 09:00~18:00 일당", "주 5일 09:00~18:00 일당"),
            # Letters count only when glued to digits.
            ("Hello 010-1234-5678", "Hello 010-1234-5678"),
            ("공 일 공 일 이 삼 사 오 육 칠 팔", "0 1 0 1 2 3 4 5 6 7 8"),
            # A digit syllable that is a word stays a word, even next to a number.
            ("02-555-0100 이 번호로, 010-1234-5678 사람", "02-555-0100 이 번호로, 010-1234-5678 사람"),
        ],
    )
    def test_digit_words_only_inside_number_like_runs(self, text: str, expected: str) -> None:
        assert digits(clean(text)).text == expected


# --- keywords --------------------------------------------------------------------------------------------
KEYWORDS = {"phrases": ["현금 수거", "교육비", "통장 사본"], "exclude": ["교육비 지원", "교육비 없"]}


class TestKeywords:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("현금 수거 업무입니다", ["현금 수거"]),
            ("현금수거 고액 알바", ["현금수거"]),
            ("현 금 수 거 알바", ["현 금 수 거"]),
            ("현금-수거, 현금·수거", ["현금-수거", "현금·수거"]),
            ("현금\u200b수거", ["현금\u200b수거"]),
            ("교육비 30만원 선입금", ["교육비"]),
            ("교육비 지원, 그리고 교육비 5만원", ["교육비"]),
        ],
    )
    def test_matches_whatever_the_spacing_with_original_spans(self, text: str, expected: list[str]) -> None:
        v = view(text)
        hit = compile_rule("keywords", KEYWORDS).evaluate(v)
        assert hit is not None
        assert spans_of(hit) == expected
        assert_spans_point_at_the_original(v, hit)

    @pytest.mark.parametrize(
        "text",
        ["교육비 지원합니다", "교육비 없음", "현금 결제 가능 매장이라 마감 정산 업무가 있습니다.", "현금 수송 차량"],
    )
    def test_excluded_and_harmless_texts(self, text: str) -> None:
        assert compile_rule("keywords", KEYWORDS).evaluate(view(text)) is None

    def test_exclude_window_vetoes_a_match_shortly_after(self) -> None:
        rule = compile_rule("keywords", {"phrases": ["통장 사본"], "exclude": ["입사 시"], "exclude_window": 15})
        assert rule.evaluate(view("입사 시 신분증 사본과 통장 사본 제출")) is None
        assert spans_of(rule.evaluate(view("지원 시 통장 사본을 먼저 보내주세요"))) == ["통장 사본"]

    def test_title_is_screened_too_and_evidence_names_the_field(self) -> None:
        hit = compile_rule("keywords", KEYWORDS).evaluate(view("평범한 설명", title="현금수거 알바"))
        assert hit is not None and hit.spans[0].field == "title"
        assert hit.evidence()["details"]["phrases"] == ["현금 수거"]


# --- regex -----------------------------------------------------------------------------------------------
class TestRegex:
    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            ("(일당", "not a valid regular expression"),
            ("a*", "matches the empty string"),
            ("(\\w+)+원", "nested repetition"),
            ("", "non-empty string"),
        ],
    )
    def test_unusable_patterns_are_refused_with_a_clear_message(self, pattern: str, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            validate_config("regex", {"pattern": pattern})

    def test_matches_on_the_clean_text_and_maps_back(self) -> None:
        v = view("하루 ４０만원 당일 지급")
        hit = compile_rule("regex", {"pattern": r"하루\s*[3-9]\d\s*만\s*원"}).evaluate(v)
        assert hit is not None and spans_of(hit) == ["하루 ４０만원"]
        assert_spans_point_at_the_original(v, hit)

    def test_compact_mode_ignores_spacing(self) -> None:
        hit = compile_rule("regex", {"pattern": "고액알바", "compact": True}).evaluate(view("고 액 알 바"))
        assert spans_of(hit) == ["고 액 알 바"]


# --- contact details -------------------------------------------------------------------------------------
CONTACT_POSITIVES = [
    ("자세한 내용은 010-1234-5678 로 연락 주세요.", "010-1234-5678", "phone"),
    ("문의: 공일공-일이삼사-오육칠팔 로 연락 주세요.", "공일공-일이삼사-오육칠팔", "phone"),
    ("전화 ０１０-1234-5678 로 주세요.", "０１０-1234-5678", "phone"),
    ("o1o-1234-5678 로 문자 주세요.", "o1o-1234-5678", "phone"),
    ("연락처 0 1 0 1 2 3 4 5 6 7 8 문자 주세요.", "0 1 0 1 2 3 4 5 6 7 8", "phone"),
    ("번호 010\u200b1234\u200b5678", "010\u200b1234\u200b5678", "phone"),
    ("+82 10-1234-5678 (해외)", "+82 10-1234-5678", "phone"),
    ("사무실 02-555-0100", "02-555-0100", "phone"),
    ("02-555-0100 이 번호로 연락", "02-555-0100", "phone"),
    ("카톡 abc123 로 문의 주세요.", "카톡 abc123", "messenger"),
    ("문의는 카톡 abc123.", "카톡 abc123", "messenger"),
    ("카톡아이디: jobkim", "카톡아이디: jobkim", "messenger"),
    ("ㅋㅌ xyz777 추가해 주세요.", "ㅋㅌ xyz777", "messenger"),
    ("텔레그램 @abc 로 연락 바랍니다.", "텔레그램 @abc", "messenger"),
    ("텔레 @hello_1", "텔레 @hello_1", "messenger"),
    ("자세한 내용은 텔레그램으로 안내드립니다.", "텔레그램으로 안내", "messenger"),
    ("open.kakao.com/o/abcDEF12 오픈채팅", "open.kakao.com/o/abcDEF12", "link"),
    ("https://open.kakao.com/o/sXyZ", "https://open.kakao.com/o/sXyZ", "link"),
    ("t.me/abc 로 들어오세요", "t.me/abc", "link"),
    ("메일 recruit.kim@naver.com 으로", "recruit.kim@naver.com", "email"),
    ("이력서는 abc123 골뱅이 gmail 쩜 com", "abc123 골뱅이 gmail 쩜 com", "email"),
]
CONTACT_NEGATIVES = [
    "전화 응대 업무가 주된 일이며 스크립트가 제공됩니다.",
    "주요 업무는 전화 응대 업무와 일정 관리입니다.",
    "평일 09:00~18:00 근무, 점심시간 12:00~13:00",
    "주 12시간 시급 10,320원, 월 2,156,880원",
    "2026.03.01부터 2026.04.30까지, 주 5일 근무",
    "이사 업체 오일 교환 사일 근무",
    "앱의 지원하기 버튼으로 지원해 주세요. 궁금한 점은 앱 채팅으로 문의해 주세요.",
    "카톡 plus친구 추가 이벤트 진행 매장",
    "카카오 T 대리기사 모집",
    "텔레마케팅 상담원 모집, 오픈 7시~11시",
    "텔레그램 봇 개발 외주 (Python)",
    "사업자등록번호 123-45-67890",
]


class TestContact:
    @pytest.mark.parametrize(("text", "expected", "kind"), CONTACT_POSITIVES)
    def test_finds_contact_details_and_their_obfuscations(self, text: str, expected: str, kind: str) -> None:
        v = view(text)
        hit = compile_rule("contact", {}).evaluate(v)
        assert hit is not None, text
        assert expected in spans_of(hit)
        assert kind in hit.details["kinds"]
        assert_spans_point_at_the_original(v, hit)

    def test_normalised_phone_value_in_the_evidence(self) -> None:
        hit = compile_rule("contact", {}).evaluate(view("문의: 공일공-일이삼사-오육칠팔"))
        assert hit is not None and hit.details["contacts"] == [{"kind": "phone", "value": "01012345678"}]

    @pytest.mark.parametrize("text", CONTACT_NEGATIVES)
    def test_leaves_honest_texts_alone(self, text: str) -> None:
        assert compile_rule("contact", {}).evaluate(view(text)) is None

    def test_kinds_can_be_switched_off(self) -> None:
        assert compile_rule("contact", {"phones": False}).evaluate(view("010-1234-5678")) is None


# --- discrimination --------------------------------------------------------------------------------------
DISCRIMINATION_POSITIVES = [
    ("20~35세 여성만 지원 가능합니다.", "20~35세", "age"),
    ("20~35세 여성만 지원 가능합니다.", "여성만", "gender"),
    ("30대까지만 지원 가능해요.", "30대까지", "age"),
    ("만 40세 이하인 분", "만 40세 이하", "age"),
    ("젊은 분 환영", "젊은 분", "age"),
    ("90년생까지 지원 가능", "90년생까지", "age"),
    ("20대 초중반 여성 선호합니다.", "여성 선호", "gender"),
    ("카페 홀서빙 (20대 여성)", "20대 여성", "age"),
    ("젊은 남자 직원 구합니다.", "남자 직원 구합니다", "gender"),
    ("여성 우대", "여성 우대", "gender"),
    ("용모 단정한 분", "용모 단정", "appearance"),
    ("키 160 이상인 분만 지원해 주세요.", "키 160 이상", "appearance"),
    ("키 170cm 이상", "키 170cm 이상", "appearance"),
    ("용모 단정한 미혼 여성 우대합니다.", "미혼", "marital"),
    ("결혼 여부를 적어 주세요", "결혼 여부", "marital"),
    ("부모님 직업 기재", "부모님 직업", "origin"),
]
DISCRIMINATION_NEGATIVES = [
    "나이 무관, 초보도 환영합니다.",
    "연령 무관, 성별 무관, 남녀 무관",
    "여성 의류 매장으로 코디에 관심 있는 분 환영합니다.",
    "20대 여성 고객이 많은 카페입니다.",
    "20~30대 직원들이 많이 근무하는 활기찬 매장",
    "젊은 분위기의 매장",
    "만 18세 이상 (청소년 불가)",
    "7~12세 아동 돌봄, 하원 도우미",
    "만 65세 이상 어르신 돌봄",
    "60대까지 가능, 시니어 환영",
    "미혼모 쉼터 상담원 모집",
    "여성도 환영합니다",
    "출산 예정인 직원의 대체 인력 모집",
    "남성 만족도가 높은 바버샵",
    "근처 거주자 우대, 경력자 우대",
    "키오스크 주문 안내",
]


class TestDiscrimination:
    @pytest.mark.parametrize(("text", "phrase", "category"), DISCRIMINATION_POSITIVES)
    def test_finds_the_requirement_and_its_category(self, text: str, phrase: str, category: str) -> None:
        v = view(text)
        hit = compile_rule("discrimination", {}).evaluate(v)
        assert hit is not None, text
        assert phrase in spans_of(hit)
        assert category in hit.details["categories"]
        assert_spans_point_at_the_original(v, hit)

    @pytest.mark.parametrize("text", DISCRIMINATION_NEGATIVES)
    def test_leaves_honest_texts_alone(self, text: str) -> None:
        hit = compile_rule("discrimination", {}).evaluate(view(text))
        assert hit is None, spans_of(hit)

    def test_categories_can_be_chosen(self) -> None:
        rule = compile_rule("discrimination", {"categories": ["marital"]})
        assert rule.evaluate(view("20~35세 여성만")) is None
        assert rule.evaluate(view("미혼 우대")) is not None


# --- minimum wage ----------------------------------------------------------------------------------------
class TestMinimumWage:
    rule = staticmethod(lambda: compile_rule("min_wage", {}))

    def test_hourly_below_the_minimum_with_numbers_and_span(self) -> None:
        v = view("시급 9,500원입니다.", wage_amount=9_500)
        hit = self.rule().evaluate(v)
        assert hit is not None
        assert hit.numbers["amount"] == 9_500 and hit.numbers["required"] == 10_320
        assert hit.numbers["year"] == 2026 and hit.numbers["paid_hours"] == 1.0
        assert spans_of(hit) == ["9,500"]

    def test_twelve_hours_a_week_at_the_minimum_is_legal(self) -> None:
        # DOMAIN.md: no weekly-holiday pay below 15 h/week, so 10,320 KRW/h is the whole minimum.
        assert self.rule().evaluate(view("주 12시간 시급 10,320원", wage_amount=10_320, hours_per_week=12)) is None

    @pytest.mark.parametrize(
        ("employment_type", "wage_type", "amount", "hours", "flagged"),
        [
            ("full_time", "monthly", 2_156_880, None, False),  # 209 h × 10,320
            ("full_time", "monthly", 2_000_000, 40, True),
            ("part_time", "daily", 80_000, 20, True),  # 8 h × 10,320 = 82,560
            ("part_time", "daily", 82_560, 20, False),
            ("freelance", "per_project", 10_000, None, False),  # not covered by the minimum wage
            ("freelance", "hourly", 9_000, 20, True),  # time-based "freelance" pay is checked
        ],
    )
    def test_the_policy_decides(
        self, employment_type: str, wage_type: str, amount: int, hours: int | None, flagged: bool
    ) -> None:
        v = view("", employment_type=employment_type, wage_type=wage_type, wage_amount=amount, hours_per_week=hours)
        assert (self.rule().evaluate(v) is not None) is flagged

    def test_the_year_the_work_starts_decides(self) -> None:
        earlier = view("", wage_amount=10_100, starts_on=dt.date(2025, 12, 1))
        assert self.rule().evaluate(earlier) is None  # 2025: 10,030
        assert self.rule().evaluate(view("", wage_amount=10_100)) is not None  # 2026: 10,320

    def test_tolerance_and_missing_table(self) -> None:
        assert compile_rule("min_wage", {"tolerance": 500}).evaluate(view("", wage_amount=10_000)) is None
        assert self.rule().evaluate(view("", wage_amount=9_000, wage_table=None)) is None

    def test_amount_written_in_man_units_is_highlighted(self) -> None:
        v = view(
            "월급 180만원 (세전)",
            employment_type="full_time",
            wage_type="monthly",
            wage_amount=1_800_000,
            hours_per_week=None,
        )
        assert spans_of(self.rule().evaluate(v)) == ["180만"]


# --- duplicates and velocity -----------------------------------------------------------------------------
ORIGINAL_TITLE = "맛있는김밥 역삼점 홀서빙 알바 구합니다"
ORIGINAL = (
    "안녕하세요, 맛있는김밥 역삼점입니다. 홀서빙 구인 공고입니다. 주요 업무는 주문 응대, 서빙, 테이블 정리입니다. "
    "근무는 주말 10:00~16:00, 주 12시간입니다. 시급 10,320원입니다. 식사 제공, 초보 가능. "
    "성실하게 오래 함께하실 분 기다립니다."
)


def history(*entries: tuple[int, dt.datetime, str, str]) -> EmployerHistory:
    return EmployerHistory(HistoryEntry(pk, at, "published", f"p-{pk}", title, text) for pk, at, title, text in entries)


class TestDuplicate:
    def test_finds_a_lightly_edited_repost(self) -> None:
        edited = ORIGINAL.replace("식사 제공, 초보 가능.", "식사 제공, 초보 환영!").replace("  ", " ")
        h = history((1, NOW - dt.timedelta(days=2), ORIGINAL_TITLE, ORIGINAL))
        v = view(edited, title="급구!! " + ORIGINAL_TITLE, posting_id=2, history=h)
        hit = compile_rule("duplicate", {"days": 7, "threshold": 0.8}).evaluate(v)
        assert hit is not None
        assert hit.numbers["other_posting_id"] == 1 and hit.numbers["similarity"] >= 0.8
        assert hit.details["other_posting"]["title"] == ORIGINAL_TITLE

    def test_spacing_and_full_width_do_not_make_a_repost_new(self) -> None:
        h = history((1, NOW - dt.timedelta(hours=5), ORIGINAL_TITLE, ORIGINAL))
        v = view(ORIGINAL.replace(" ", "  ").replace("10,320", "１０,３２０"), title=ORIGINAL_TITLE, history=h)
        hit = compile_rule("duplicate", {}).evaluate(v)
        assert hit is not None and hit.numbers["similarity"] == 1.0

    def test_an_unrelated_posting_is_not_a_duplicate(self) -> None:
        other = "물류센터 상하차 단기 알바. 주 5일 야간 근무, 일급 120,000원. 안전화 지급, 셔틀버스 운행합니다."
        h = history((1, NOW - dt.timedelta(days=1), ORIGINAL_TITLE, ORIGINAL))
        assert compile_rule("duplicate", {}).evaluate(view(other, title="상하차 알바", history=h)) is None

    def test_only_earlier_postings_within_the_window(self) -> None:
        h = history(
            (1, NOW + dt.timedelta(hours=1), ORIGINAL_TITLE, ORIGINAL),  # later: the original is not the copy
            (2, NOW - dt.timedelta(days=9), ORIGINAL_TITLE, ORIGINAL),  # outside 7 days
        )
        v = view(ORIGINAL, title=ORIGINAL_TITLE, posting_id=5, history=h)
        assert compile_rule("duplicate", {"days": 7}).evaluate(v) is None
        assert compile_rule("duplicate", {"days": 10}).evaluate(v) is not None

    def test_the_posting_itself_in_its_history_is_not_its_duplicate(self) -> None:
        h = history((7, NOW, ORIGINAL_TITLE, ORIGINAL))
        assert (
            compile_rule("duplicate", {}).evaluate(view(ORIGINAL, title=ORIGINAL_TITLE, posting_id=7, history=h))
            is None
        )

    def test_sketch_similarity_tracks_jaccard(self) -> None:
        a = minhash.sketch(compact_text(ORIGINAL))
        assert minhash.similarity(a, a) == 1.0
        assert minhash.similarity(a, minhash.sketch(compact_text("전혀 다른 내용의 공고입니다"))) < 0.1
        assert minhash.similarity(a, minhash.sketch("")) == 0.0


class TestVelocity:
    def test_flags_the_posting_over_the_hourly_limit(self) -> None:
        h = history(*((pk, NOW - dt.timedelta(minutes=5 * pk), "t", "d") for pk in range(1, 10)))
        rule = compile_rule("velocity", {"max_per_hour": 10})
        assert rule.evaluate(view(history=h, posting_id=100)) is None  # 9 earlier + this one = 10
        h11 = history(*((pk, NOW - dt.timedelta(minutes=5 * pk), "t", "d") for pk in range(1, 11)))
        hit = rule.evaluate(view(history=h11, posting_id=100))
        assert hit is not None and hit.numbers["last_hour"] == 11

    def test_daily_limit_counts_the_last_24_hours_only(self) -> None:
        h = history(*((pk, NOW - dt.timedelta(hours=pk), "t", "d") for pk in range(1, 30)))
        hit = compile_rule("velocity", {"max_per_day": 20}).evaluate(view(history=h, posting_id=100))
        assert hit is not None and hit.numbers["last_day"] == 24  # hours 1…23 and this one


# --- configuration ---------------------------------------------------------------------------------------
class TestConfig:
    @pytest.mark.parametrize(
        ("kind", "config", "message"),
        [
            ("keywords", {}, "phrases"),
            ("keywords", {"phrase": ["x"]}, "Unknown configuration key"),
            ("keywords", {"phrases": "현금 수거"}, "list of strings"),
            ("keywords", {"phrases": ["  ", "--"]}, "phrase"),
            ("duplicate", {"threshold": 2}, "between"),
            ("velocity", {}, "max_per_hour"),
            ("discrimination", {"categories": ["religion"]}, "categories"),
            ("contact", {"phones": "yes"}, "true or false"),
            ("keywords", ["현금 수거"], "JSON object"),
            ("nonsense", {}, "Unknown rule kind"),
        ],
    )
    def test_bad_configs_are_refused_with_a_message(self, kind: str, config: Any, message: str) -> None:
        with pytest.raises(ConfigError, match=message):
            validate_config(kind, config)

    @pytest.mark.parametrize("row", DEFAULT_RULES, ids=lambda row: row["kind"] + ":" + row["clause"])
    def test_every_default_rule_is_valid(self, row: dict[str, Any]) -> None:
        validate_config(row["kind"], row["config"])
        assert 0 < row["weight"] <= 100

    def test_evidence_is_json_and_its_identity_ignores_the_summary(self) -> None:
        hit = compile_rule("contact", {}).evaluate(view("010-1234-5678"))
        assert hit is not None
        evidence = json.loads(json.dumps(hit.evidence()))
        assert evidence_identity(evidence) == evidence_identity({**evidence, "summary": "다른 언어의 요약"})


# --- the default rule set on the demo data ---------------------------------------------------------------
LABEL_CLAUSE = {
    "min_wage": "P2-min-wage",
    "contact": "P4-off-platform",
    "discrimination": "P3-discrimination",
    "duplicate": "P7-duplicate-spam",
    "phishing": "P5-crime-recruitment",
    "fees": "P6-fees",
    "false_ad": "P1-false-ad",
    "harmful": "P8-harmful-business",
}


def test_default_rules_on_demo_postings_are_precise_and_complete() -> None:
    """The demo generator labels the postings it makes rule-breaking (and adds the honest texts that only
    look bad): no live default rule may flag an honest posting, and every label is caught by its clause."""
    from zoneinfo import ZoneInfo

    from jobs.demo import FALLBACK_MINIMUM_WAGE, _Generator

    generator = _Generator(seed=11, now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC), table=FALLBACK_MINIMUM_WAGE)
    generator.make_employers(250)
    generator.make_postings(2000)
    generator.order_postings_by_creation()
    rows = generator.postings
    created = [dt.datetime.fromtimestamp(row.created_at, dt.UTC) for row in rows]
    histories: dict[int, list[HistoryEntry]] = {}
    for index, row in enumerate(rows):
        histories.setdefault(row.employer_index, []).append(
            HistoryEntry(index, created[index], row.status, row.external_id, row.title, row.description)
        )
    shared = {employer: EmployerHistory(entries) for employer, entries in histories.items()}
    seoul = ZoneInfo("Asia/Seoul")
    rules = [(row, compile_rule(row["kind"], row["config"])) for row in DEFAULT_RULES]
    false_flags: list[str] = []
    missed: list[str] = []
    for index, row in enumerate(rows):
        v = PostingView(
            title=row.title,
            description=row.description,
            employment_type=row.employment_type,
            wage_type=row.wage_type,
            wage_amount=row.wage_amount,
            created_at=created[index],
            judged_on=dt.datetime.fromtimestamp(row.published_at or row.created_at, seoul).date(),
            posting_id=index,
            hours_per_week=row.hours_per_week,
            starts_on=row.starts_on,
            wage_table=FALLBACK_MINIMUM_WAGE,
            history=shared[row.employer_index],
        )
        fired = [(rule, rule_row) for rule_row, rule in rules if rule_row["mode"] != "dry_run" and rule.evaluate(v)]
        if not row.violation and fired:
            false_flags.append(f"{fired[0][1]['name']}: {row.title} / {row.description}")
        if row.violation and not any(rule_row["clause"] == LABEL_CLAUSE[row.violation] for _r, rule_row in fired):
            missed.append(f"{row.violation}: {row.title} / {row.description}")
    labelled = sum(1 for row in rows if row.violation)
    assert labelled > 100
    assert false_flags == []
    assert len(missed) <= math.floor(labelled * 0.02), missed


# --- properties ------------------------------------------------------------------------------------------
# Text that exercises the normaliser: Hangul (syllables, compatibility and conjoining jamo), digits and
# digit words, full-width forms, separators, invisible characters, combining marks, expansions (㈜, ㎏).
_ALPHABET = st.sampled_from(
    list("현금수거교육비카톡텔레그램여성남자미혼용모단정세대만이하까지공일이삼사오육칠팔구빵영")
    + list("0123456789oOlI@.:/-~ ,()")
    + list("ㅋㅌㄹㅇ\u1100\u1161\u11a8０１２ａｂ\u200b\u200d\ufeff\u0301㈜㎏①ﬁİ\n\t")
)
_TEXT = st.text(alphabet=_ALPHABET, max_size=120) | st.text(max_size=60)
_COMPILED = [compile_rule(row["kind"], row["config"]) for row in DEFAULT_RULES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, description=_TEXT)
def test_rules_never_raise_and_spans_index_the_original(title: str, description: str) -> None:
    h = history((1, NOW - dt.timedelta(hours=1), title[::-1], description))
    v = view(description, title=title, history=h, wage_amount=9_000)
    for rule in _COMPILED:
        hit = rule.evaluate(v)
        if hit is not None:
            assert_spans_point_at_the_original(v, hit)
            json.dumps(hit.evidence())


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_normalised_views_map_every_character_into_the_original(text: str) -> None:
    for normalized in (clean(text), compact(clean(text)), digits(clean(text))):
        for start in range(len(normalized.text)):
            s, e = normalized.to_original(start, start + 1)
            assert 0 <= s < e <= len(text)
        if normalized.text:
            s, e = normalized.to_original(0, len(normalized.text))
            assert 0 <= s < e <= len(text)
