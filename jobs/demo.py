"""Demo data for the jobs domain: realistic Korean marketplace rows, generated fast and reproducibly.

Used by ``manage.py seed_demo``. Rows are generated in memory, then inserted in batches of 2,000 (multi-row
INSERTs on SQLite, ``executemany`` elsewhere; see ``_insert_rows`` for why not ``bulk_create``), never through
the services: their per-row locking, validation, audit rows and signals are what a real write needs, and what
would make 100,000 postings take many minutes. The price: nothing here is screened, announced or audited row
by row (the command writes one audit row for the whole seed), so the rows must be consistent by construction.
The database still enforces the constraints; the tests check the rest (counts, timestamps, policies).

Reproducible: one ``random.Random(seed)`` (the ``_Dice`` subclass) drives every choice, in a fixed order, and
every timestamp is an offset from ``now`` floored to the day in Asia/Seoul. Two runs with the same seed on the
same day produce the same rows (only the database ids differ).

About 8 % of the postings break a policy clause of DOMAIN.md on purpose (under-minimum wages, contact
details, discriminatory requirements, voice-phishing mule recruitment, fees, false ads, adult venues, re-posts)
so the moderation tools have something to find; some honest postings use the phrases that only *look* bad.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import accumulate, chain
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from jobs.models import (
    AccountStatus,
    Application,
    ApplicationStatus,
    Category,
    CloseReason,
    Employer,
    EmploymentType,
    JobPosting,
    MinimumWage,
    PostingStatus,
    Seeker,
    VerificationStatus,
    WageType,
)
from jobs.policies import MinimumWageTable, PostingTerms, policy_for
from jobs.regions import REGIONS
from jobs.selectors import minimum_wage_table
from jobs.text import content_fingerprint

SEOUL: Final = ZoneInfo("Asia/Seoul")
BATCH_SIZE: Final = 2000

# Demo rows are recognised by these external-id prefixes: the refusal check and --reset go by them.
EMPLOYER_PREFIX: Final = "emp-"
SEEKER_PREFIX: Final = "sk-"
POSTING_PREFIX: Final = "post-"
APPLICATION_PREFIX: Final = "app-"

# Used only when the database has no minimum-wage rows (the jobs migration normally provides them).
FALLBACK_MINIMUM_WAGE: Final = MinimumWageTable({2024: 9_860, 2025: 10_030, 2026: 10_320})

DAY: Final = 86_400
HOUR: Final = 3_600
MINUTE: Final = 60
POSTING_HISTORY_DAYS: Final = 60
SEEKER_ACTIVITY_DAYS: Final = 180

Progress = Callable[[int], None]
_T = TypeVar("_T")


class DemoDataExistsError(Exception):
    """Demo rows are already in the database; seeding again would collide on the external ids."""


@dataclass(frozen=True)
class DemoCounts:
    employers: int
    seekers: int
    postings: int
    applications: int
    rule_breaking_postings: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- vocabulary ------------------------------------------------------------------------------------------
# Shop-style names ("맛있는김밥 역삼점") take an adjective; company-style names ("(주)한빛물류") a noun.
SHOP_BRANDS: Final = (
    "맛있는", "행복한", "착한", "든든한", "바른", "새벽", "푸른", "해맑은", "소담", "늘봄",
    "미소", "참좋은", "별빛", "청춘", "초록", "우리", "정직한", "따뜻한", "싱싱", "고운",
)  # fmt: skip
CORPORATE_BRANDS: Final = (
    "한빛", "다온", "온누리", "한결", "가온", "누리", "새롬", "대한", "미래", "성원",
    "동방", "태평", "세종", "아름", "하나", "제일", "그린", "스마트", "넥스트", "한울",
)  # fmt: skip
SHADY_NAMES: Final = (
    "(주){brand}컴퍼니", "{brand}파트너스", "{brand}에셋", "{brand}글로벌", "(주){brand}인베스트", "{brand}네트웍스",
)  # fmt: skip

# Part-time shifts: the word a title uses, and the schedule the text gives for it (title and text agree).
SHIFTS: Final = {
    "주말": "주말 10:00~16:00",
    "평일 오전": "평일 오전 9시~1시",
    "평일 저녁": "평일 저녁 6시~10시",
    "오픈": "오픈 7시~11시",
    "마감": "마감 6시~12시",
    "점심": "화~토 점심 11시~3시",
    "야간": "야간 10시~다음 날 8시",
}
SHIFT_WORDS: Final = tuple(SHIFTS)
# Role names that already name a person; the others are jobs ("홀서빙") and take "직원" in "… 직원을 모집합니다".
PERSON_SUFFIXES: Final = ("선생님", "강사", "기사", "요양보호사", "상담원", "개발자", "디자이너", "편집자", "라이더",
                          "도우미", "근무자", "스태프", "요원", "바리스타", "경리", "총무")  # fmt: skip
PART_TIME_SUFFIXES: Final = (
    "{shift} 알바 구합니다", "{shift} 파트타이머 모집", "알바 급구 ({dong})", "단기 알바 모집", "{shift} 근무자 구해요",
)  # fmt: skip
FULL_TIME_SUFFIXES: Final = ("정직원 채용", "직원 모집 (경력 무관)", "정규직 채용 (4대보험)", "{dong} 근무 직원 채용")
FREELANCE_SUFFIXES: Final = ("프리랜서 구합니다", "외주 작업자 모집", "건별 의뢰 (프리랜서)")

INTROS: Final = (
    "{business}에서 함께 일할 {person}{object_particle} 모집합니다.",
    "안녕하세요, {business}입니다. {role} 구인 공고입니다.",
    "{dong} 인근에서 {role} 일을 맡아 주실 분을 찾습니다.",
    "{business} {role} 채용합니다.",
)
FULL_TIME_SCHEDULES: Final = (
    "근무 시간은 주 5일 09:00~18:00이며 4대보험에 가입됩니다.",
    "주 5일 교대 근무이며 연차와 퇴직금이 있습니다.",
    "월~금 10:00~19:00 근무, 점심시간 1시간입니다.",
)
FREELANCE_SCHEDULES: Final = ("작업 기간과 일정은 협의 가능합니다.", "일정에 맞춰 건별로 진행합니다.")
# Only desk work can be done from home.
REMOTE_FREELANCE_SCHEDULES: Final = (*FREELANCE_SCHEDULES, "재택 작업 가능하며 결과물 기준으로 정산합니다.")
PERKS: Final = (
    "식사 제공", "교통비 지원", "초보 가능", "경력자 우대", "근처 거주자 우대",
    "장기 근무 시 시급 인상", "유니폼 지급", "주차 가능", "명절 선물",
)  # fmt: skip
CLOSINGS: Final = (
    "관심 있는 분들의 많은 지원 바랍니다.",
    "앱의 지원하기 버튼으로 지원해 주세요.",
    "궁금한 점은 앱 채팅으로 문의해 주세요.",
    "성실하게 오래 함께하실 분 기다립니다.",
)
# DOMAIN.md, "Things that look bad and are not": honest postings the rules must leave alone.
# Keyed by "any", a category or a business kind (the clothing-shop sentence fits only a clothing shop).
LOOKS_BAD_BUT_FINE: Final[dict[str, tuple[str, ...]]] = {
    "any": ("나이 무관, 초보도 환영합니다.",),
    Category.FOOD_SERVICE: ("현금 결제 가능 매장이라 마감 정산 업무가 있습니다.",),
    Category.RETAIL: ("현금 결제 가능 매장이라 마감 정산 업무가 있습니다.",),
    "의류": ("여성 의류 매장으로 코디에 관심 있는 분 환영합니다.",),
    Category.OFFICE: ("주요 업무는 전화 응대 업무와 일정 관리입니다.",),
    Category.CUSTOMER_SERVICE: ("전화 응대 업무가 주된 일이며 스크립트가 제공됩니다.",),
}

FAMILY_NAMES: Final = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임")
# Weighted like the real distribution: 김, 이, 박 are about 45 % of Koreans.
FAMILY_NAME_WEIGHTS: Final = (22, 15, 9, 5, 5, 3, 3, 3, 2, 2)
GIVEN_NAMES: Final = (
    "민준", "서연", "지훈", "하은", "도윤", "지우", "서준", "수빈", "예준", "지민",
    "현우", "유진", "건우", "채원", "민서", "준서", "지아", "우진", "다은", "승현",
    "영희", "철수", "미경", "정호", "은정", "성민", "혜진", "동현", "수정", "재훈",
    "나연", "태현", "소영", "경민", "보람", "상훈", "미숙", "영수", "순자", "광수",
)  # fmt: skip
APPLICATION_MESSAGES: Final = (
    "안녕하세요, 근처에 살고 있어 성실하게 일할 수 있습니다.",
    "주말 근무 가능합니다. 연락 기다리겠습니다.",
    "관련 경력 2년 있습니다.",
    "바로 출근 가능합니다.",
    "학생이고 방학 동안 일하고 싶습니다.",
    "비슷한 일을 해 본 경험이 있습니다. 열심히 하겠습니다.",
    "장기 근무 희망합니다.",
)
# Area codes by 시도 (the first two digits of the region code), for landline business phones.
AREA_CODES: Final = {
    "11": "02",
    "26": "051",
    "27": "053",
    "28": "032",
    "29": "062",
    "30": "042",
    "41": "031",
    "50": "064",
}
HANGUL_DIGITS: Final = "공일이삼사오육칠팔구"


@dataclass(frozen=True)
class CategoryProfile:
    """How a category's employers are named and what its postings say and pay."""

    weight: int
    name_patterns: tuple[str, ...]
    kinds: tuple[str, ...]
    # role → what the job involves (two or more duties; a posting names two of its role's).
    roles: Mapping[str, tuple[str, ...]]
    # Fully written titles for typical postings: (title, employment type, role).
    signature_titles: tuple[tuple[str, str, str], ...]
    employment_weights: tuple[int, int, int]  # full-time, part-time, freelance
    hourly: tuple[int, int]
    daily: tuple[int, int]
    monthly: tuple[int, int]  # full-time, 40 h a week
    per_project: tuple[int, int]
    # role → the only business kinds that hire it (a 국밥집 does not hire a barista); unlisted roles: any kind.
    role_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Plain strings (not TextChoices members) throughout: the rows go to the database driver as they are.
FT, PT, FL = EmploymentType.FULL_TIME.value, EmploymentType.PART_TIME.value, EmploymentType.FREELANCE.value
EMPLOYMENT_TYPES: Final = (FT, PT, FL)

PROFILES: Final[dict[str, CategoryProfile]] = {
    Category.FOOD_SERVICE: CategoryProfile(
        weight=20,
        name_patterns=("{brand}{kind} {branch}점", "{brand} {kind} {branch}점"),
        kinds=("김밥", "분식", "카페", "치킨", "베이커리", "국밥", "고깃집", "짬뽕", "떡볶이", "샐러드"),
        roles={
            "홀서빙": ("홀 서빙과 테이블 정리", "주문 접수 및 포스 계산", "손님 안내와 예약 확인"),
            "주방보조": ("식재료 손질 및 주방 보조", "설거지와 마감 청소", "밑반찬 준비"),
            "바리스타": ("음료 제조", "매장 청결 관리", "원두 입고와 재고 확인"),
            "포장·배달 담당": ("포장·배달 주문 준비", "배달 앱 주문 확인", "포장 용기 정리"),
        },
        signature_titles=(
            ("홀서빙 주말 알바 구합니다", PT, "홀서빙"),
            ("점심 피크타임 서빙 (11시~15시)", PT, "홀서빙"),
            ("오픈 멤버 주방 직원 채용", FT, "주방보조"),
            ("카페 바리스타 경력직 채용", FT, "바리스타"),
        ),
        employment_weights=(25, 70, 5),
        hourly=(10_500, 13_000),
        daily=(90_000, 130_000),
        monthly=(2_300_000, 3_200_000),
        per_project=(100_000, 300_000),
        role_kinds={
            "바리스타": ("카페", "베이커리"),
            "포장·배달 담당": ("김밥", "분식", "치킨", "짬뽕", "떡볶이", "샐러드"),
        },
    ),
    Category.RETAIL: CategoryProfile(
        weight=14,
        name_patterns=("{brand} {kind} {branch}점", "{brand}{kind} {branch}점"),
        kinds=("편의점", "마트", "문구", "의류", "화장품", "생활용품", "신발"),
        roles={
            "편의점 근무자": ("계산 및 고객 응대", "상품 진열과 유통기한 확인", "택배 접수"),
            "매장 판매": ("고객 응대와 상품 안내", "상품 진열", "매장 청소와 정리"),
            "재고 관리": ("입고 검수", "재고 정리와 수량 확인", "창고 정리"),
        },
        signature_titles=(
            ("편의점 야간 알바 (22시~08시)", PT, "편의점 근무자"),
            ("주말 편의점 오전 근무자 구해요", PT, "편의점 근무자"),
            ("매장 관리 정직원 (점장 후보)", FT, "매장 판매"),
        ),
        employment_weights=(25, 72, 3),
        hourly=(10_400, 12_500),
        daily=(90_000, 120_000),
        monthly=(2_250_000, 3_000_000),
        per_project=(80_000, 200_000),
        role_kinds={"편의점 근무자": ("편의점",), "매장 판매": ("마트", "문구", "의류", "화장품", "생활용품", "신발")},
    ),
    Category.DELIVERY: CategoryProfile(
        weight=9,
        name_patterns=("(주){brand}{kind}", "{brand}{kind} {branch}대리점"),
        kinds=("물류", "익스프레스", "퀵", "로지스", "택배"),
        roles={
            "배달 라이더": ("배달 앱 주문 수행", "음식 픽업과 배달", "배달 구역 숙지"),
            "택배 상하차": ("상하차 및 분류", "택배 박스 적재", "송장 확인"),
            "배송 기사": ("지정 구역 배송", "차량 운행과 간단한 적재", "배송 완료 사진 등록"),
        },
        signature_titles=(
            ("배민 라이더 모집 (오토바이 보유자)", FL, "배달 라이더"),
            ("택배 상하차 단기 알바", PT, "택배 상하차"),
            ("1톤 화물 배송 기사 채용", FT, "배송 기사"),
        ),
        employment_weights=(30, 35, 35),
        hourly=(11_000, 15_000),
        daily=(110_000, 170_000),
        monthly=(2_800_000, 4_200_000),
        per_project=(3_000, 8_000),
    ),
    Category.OFFICE: CategoryProfile(
        weight=7,
        name_patterns=("(주){brand}{kind}", "{brand} {kind}"),
        kinds=("세무회계", "법무사사무소", "상사", "무역", "부동산"),
        roles={
            "사무 보조": ("서류 정리와 문서 작성", "엑셀 데이터 입력", "우편물과 비품 관리"),
            "경리": ("전표 처리와 장부 정리", "급여 및 세금계산서 업무", "거래처 입출금 확인"),
            "총무": ("비품 구매와 관리", "거래처 연락과 일정 관리", "사무실 환경 관리"),
        },
        signature_titles=(
            ("세무사무소 경리 직원 채용", FT, "경리"),
            ("오전 사무보조 알바 (엑셀 가능자)", PT, "사무 보조"),
        ),
        employment_weights=(55, 40, 5),
        hourly=(10_500, 13_000),
        daily=(90_000, 120_000),
        monthly=(2_300_000, 3_300_000),
        per_project=(100_000, 500_000),
    ),
    Category.CUSTOMER_SERVICE: CategoryProfile(
        weight=6,
        name_patterns=("(주){brand}{kind}", "{brand}{kind} {branch}대리점"),
        kinds=("컨택센터", "통신", "렌탈", "보험서비스"),
        roles={
            "고객상담원": ("인바운드 고객 문의 응대", "주문·배송 문의 처리", "상담 내용 기록"),
            "매장 영업": ("매장 방문 고객 상담", "요금제와 상품 안내", "개통 서류 정리"),
        },
        signature_titles=(
            ("인바운드 고객상담원 채용 (유급 교육)", FT, "고객상담원"),
            ("주말 매장 영업 알바", PT, "매장 영업"),
        ),
        employment_weights=(55, 40, 5),
        hourly=(10_800, 13_500),
        daily=(95_000, 130_000),
        monthly=(2_400_000, 3_200_000),
        per_project=(50_000, 200_000),
    ),
    Category.MANUFACTURING: CategoryProfile(
        weight=9,
        name_patterns=("(주){brand}{kind}", "{brand}{kind}"),
        kinds=("산업", "건설", "정밀", "식품", "패키징"),
        roles={
            "생산직": ("생산 라인 제품 포장", "부품 조립과 검수", "설비 주변 정리"),
            "물류센터 피킹": ("물류센터 상품 피킹", "출고 상품 검수", "박스 포장"),
            "건설 현장 보조": ("현장 자재 정리", "자재 운반", "현장 청소"),
        },
        signature_titles=(
            ("식품공장 생산직 주간 근무자 채용", FT, "생산직"),
            ("물류센터 야간 피킹 알바", PT, "물류센터 피킹"),
            ("건설 현장 일용직 모집", FT, "건설 현장 보조"),
        ),
        employment_weights=(50, 40, 10),
        hourly=(10_800, 14_000),
        daily=(120_000, 180_000),
        monthly=(2_500_000, 3_600_000),
        per_project=(150_000, 600_000),
        role_kinds={
            "생산직": ("산업", "정밀", "식품", "패키징"),
            "물류센터 피킹": ("산업", "식품", "패키징"),
            "건설 현장 보조": ("건설",),
        },
    ),
    Category.CLEANING: CategoryProfile(
        weight=6,
        name_patterns=("{brand}{kind}", "(주){brand}{kind}"),
        kinds=("클린", "홈케어", "환경", "미화"),
        roles={
            "사무실 청소": ("사무실 바닥과 화장실 청소", "분리수거", "탕비실 정리"),
            "가사 도우미": ("가정 방문 청소와 정리", "빨래와 주방 정리", "냉장고 정리"),
            "객실 정리": ("객실 정리와 침구 교체", "어메니티 보충", "린넨 정리"),
        },
        signature_titles=(
            ("사무실 청소 오전 2시간 알바", PT, "사무실 청소"),
            ("건물 미화원 채용 (주 5일)", FT, "사무실 청소"),
            ("입주 청소 건별 작업자", FL, "가사 도우미"),
        ),
        employment_weights=(25, 55, 20),
        hourly=(10_500, 14_000),
        daily=(100_000, 150_000),
        monthly=(2_200_000, 2_700_000),
        per_project=(120_000, 350_000),
    ),
    Category.CARE: CategoryProfile(
        weight=7,
        name_patterns=("{brand} {kind}", "{brand}{kind} {branch}센터"),
        kinds=("요양센터", "아이돌봄", "동물병원", "방문요양", "키즈케어"),
        roles={
            "아이 돌봄 선생님": ("하원 후 숙제 지도", "간식 챙기기와 놀이", "부모님 귀가 전까지 돌봄"),
            "요양보호사": ("어르신 식사 보조", "산책과 말벗", "병원 동행"),
            "반려견 산책 도우미": ("반려견 산책", "급식과 물 챙기기", "산책 후 발 닦기와 정리"),
        },
        signature_titles=(
            ("방과후 아이 돌봄 선생님", PT, "아이 돌봄 선생님"),
            ("등하원 도우미 구합니다 (주 5일)", PT, "아이 돌봄 선생님"),
            ("요양보호사 채용 (자격증 소지자)", FT, "요양보호사"),
            ("반려견 산책 도우미", FL, "반려견 산책 도우미"),
        ),
        employment_weights=(20, 65, 15),
        hourly=(11_000, 15_000),
        daily=(100_000, 140_000),
        monthly=(2_300_000, 2_900_000),
        per_project=(20_000, 60_000),
        role_kinds={
            "아이 돌봄 선생님": ("아이돌봄", "키즈케어"),
            "요양보호사": ("요양센터", "방문요양"),
            "반려견 산책 도우미": ("동물병원",),
        },
    ),
    Category.EDUCATION: CategoryProfile(
        weight=7,
        name_patterns=("{brand}{kind}", "{brand} {kind} {branch}캠퍼스"),
        kinds=("수학학원", "영어교습소", "피아노학원", "국어논술", "코딩학원"),
        roles={
            "수학 강사": ("초등·중등 수학 수업 진행", "숙제 검사와 채점", "학부모 상담 보조"),
            "영어 강사": ("초등 영어 수업 진행", "단어 시험 채점", "교재 준비"),
            "보조 강사": ("숙제 검사와 채점", "자습 지도", "교재 준비"),
        },
        signature_titles=(
            ("초등 수학 과외 선생님", FL, "수학 강사"),
            ("영어학원 보조 강사 모집", PT, "보조 강사"),
            ("입시 수학 전임 강사 채용", FT, "수학 강사"),
        ),
        employment_weights=(25, 45, 30),
        hourly=(13_000, 30_000),
        daily=(100_000, 200_000),
        monthly=(2_500_000, 4_000_000),
        per_project=(200_000, 600_000),
        role_kinds={"수학 강사": ("수학학원",), "영어 강사": ("영어교습소",)},
    ),
    Category.IT: CategoryProfile(
        weight=5,
        name_patterns=("(주){brand}{kind}", "{brand}{kind} 스튜디오"),
        kinds=("소프트", "랩스", "디자인", "미디어", "테크"),
        roles={
            "프론트엔드 개발자": ("React 기반 관리자 화면 개발", "반응형 웹 퍼블리싱", "API 연동"),
            "백엔드 개발자": ("Django API 유지보수", "데이터베이스 쿼리 개선", "배포 자동화"),
            "웹 디자이너": ("쇼핑몰 상세페이지 디자인", "배너와 SNS 이미지 제작", "디자인 가이드 정리"),
            "영상 편집자": ("유튜브 영상 컷 편집", "자막과 썸네일 제작", "색보정"),
        },
        signature_titles=(
            ("React 프론트엔드 외주", FL, "프론트엔드 개발자"),
            ("쇼핑몰 상세페이지 디자인 외주", FL, "웹 디자이너"),
            ("유튜브 영상 편집자 (건별)", FL, "영상 편집자"),
            ("웹 퍼블리셔 정규직 채용", FT, "프론트엔드 개발자"),
        ),
        employment_weights=(35, 10, 55),
        hourly=(15_000, 40_000),
        daily=(150_000, 350_000),
        monthly=(3_000_000, 5_500_000),
        per_project=(300_000, 5_000_000),
        role_kinds={"영상 편집자": ("미디어", "디자인"), "웹 디자이너": ("디자인", "미디어", "소프트")},
    ),
    Category.EVENTS: CategoryProfile(
        weight=5,
        name_patterns=("(주){brand}{kind}", "{brand} {kind}"),
        kinds=("이벤트", "웨딩홀", "기획", "컨벤션", "프로모션"),
        roles={
            "행사 스태프": ("관람객 안내와 입장 확인", "부스 운영과 물품 배부", "행사장 설치와 철수"),
            "웨딩홀 서빙": ("하객 식사 서빙", "테이블 세팅과 정리", "음료 준비"),
            "진행요원": ("관객 입장 안내", "좌석 안내", "안전 통제 보조"),
        },
        signature_titles=(
            ("주말 전시회 안내 스태프", PT, "행사 스태프"),
            ("콘서트 진행요원 모집 (하루)", PT, "진행요원"),
            ("웨딩홀 서빙 주말 알바", PT, "웨딩홀 서빙"),
        ),
        employment_weights=(10, 65, 25),
        hourly=(11_000, 14_000),
        daily=(100_000, 150_000),
        monthly=(2_300_000, 2_800_000),
        per_project=(80_000, 200_000),
        role_kinds={"웨딩홀 서빙": ("웨딩홀",)},
    ),
    Category.ERRANDS: CategoryProfile(
        weight=4,
        name_patterns=("{brand} {kind}", "{brand}{kind}"),
        kinds=("심부름센터", "생활서비스", "도우미센터", "이사"),
        roles={
            "이사 보조": ("짐 운반과 정리", "박스 포장", "가구 이동"),
            "줄서기 대행": ("대기 줄 서기", "현장 사진으로 진행 상황 공유", "구매 대행"),
            "생활 심부름": ("장보기 후 배달", "가구 조립과 설치", "택배 대리 수령"),
        },
        signature_titles=(
            ("이사 짐 나르기 도와주실 분", FL, "이사 보조"),
            ("아이돌 굿즈 줄서기 대행", FL, "줄서기 대행"),
            ("가구 조립 도와주실 분 (2시간)", FL, "생활 심부름"),
        ),
        employment_weights=(3, 42, 55),
        hourly=(12_000, 20_000),
        daily=(100_000, 150_000),
        monthly=(2_200_000, 2_600_000),
        per_project=(20_000, 150_000),
        role_kinds={"이사 보조": ("이사", "생활서비스", "심부름센터")},
    ),
}
CATEGORIES: Final = tuple(Category(category).value for category in PROFILES)

# Wage types per employment type, within policy_for(type).allowed_wage_types (the tests check every posting).
WAGE_TYPE_WEIGHTS: Final[dict[str, tuple[tuple[WageType, int], ...]]] = {
    FT: ((WageType.MONTHLY, 80), (WageType.DAILY, 12), (WageType.HOURLY, 8)),
    PT: ((WageType.HOURLY, 85), (WageType.DAILY, 10), (WageType.MONTHLY, 5)),
    FL: ((WageType.PER_PROJECT, 60), (WageType.DAILY, 20), (WageType.HOURLY, 15), (WageType.MONTHLY, 5)),
}
PART_TIME_HOURS: Final = (12, 15, 15, 16, 20, 20, 24, 25, 28, 30, 35)

POSTING_STATUS_WEIGHTS: Final = {
    PostingStatus.PUBLISHED: 52,
    PostingStatus.PENDING_REVIEW: 8,
    PostingStatus.HIDDEN: 5,
    PostingStatus.REJECTED: 6,
    PostingStatus.CLOSED: 14,
    PostingStatus.EXPIRED: 15,
}
# Screening catches most rule-breakers; some slip through and are live, which is what the queue is for.
RULE_BREAKING_STATUS_WEIGHTS: Final = {
    PostingStatus.PUBLISHED: 22,
    PostingStatus.PENDING_REVIEW: 25,
    PostingStatus.HIDDEN: 22,
    PostingStatus.REJECTED: 25,
    PostingStatus.CLOSED: 3,
    PostingStatus.EXPIRED: 3,
}
CLOSE_REASON_WEIGHTS: Final = {
    CloseReason.FILLED: 55,
    CloseReason.CANCELLED: 20,
    CloseReason.NO_RESPONSE: 12,
    CloseReason.OTHER: 13,
}
# Applications to a posting still recruiting are mostly unprocessed; to an ended one mostly decided.
LIVE_APPLICATION_WEIGHTS: Final = {
    ApplicationStatus.SUBMITTED: 35,
    ApplicationStatus.VIEWED: 28,
    ApplicationStatus.SHORTLISTED: 12,
    ApplicationStatus.HIRED: 4,
    ApplicationStatus.REJECTED: 13,
    ApplicationStatus.WITHDRAWN: 8,
}
ENDED_APPLICATION_WEIGHTS: Final = {
    ApplicationStatus.SUBMITTED: 12,
    ApplicationStatus.VIEWED: 25,
    ApplicationStatus.SHORTLISTED: 8,
    ApplicationStatus.HIRED: 12,
    ApplicationStatus.REJECTED: 33,
    ApplicationStatus.WITHDRAWN: 10,
}

RULE_BREAKING_SHARE: Final = 0.08
# Kinds of rule-breaking posting (DOMAIN.md clause in the comment) and how often each appears.
VIOLATION_WEIGHTS: Final = {
    "min_wage": 22,  # P2
    "contact": 20,  # P4
    "discrimination": 18,  # P3
    "duplicate": 13,  # P7
    "phishing": 10,  # P5
    "fees": 8,  # P6
    "false_ad": 5,  # P1
    "harmful": 4,  # P8
}
# Kinds that an honest employer does not produce by mistake: they come from the shady accounts.
SHADY_ONLY_VIOLATIONS: Final = frozenset({"phishing", "fees", "false_ad", "harmful"})

# Each template gets a fresh random number, ID or link; the variants rotate so every form appears early.
CONTACT_VARIANTS: Final = (
    "자세한 내용은 {phone} 로 연락 주세요.",
    "문의: {hangul_phone} 로 연락 주세요.",
    "연락처 {spaced_phone} 문자 주세요.",
    "카톡 {handle} 로 문의 주세요.",
    "open.kakao.com/o/{link} 오픈채팅으로 지원받아요.",
    "텔레그램 @{handle} 로 연락 바랍니다.",
    "지원 시 신분증 사본과 통장 사본을 먼저 보내주세요.",
    "ㅋㅌ {handle} 추가해 주세요.",
    "o1o-{four}-{four2} 로 문자 주세요.",
    "전화 ０１０-{four}-{four2} 로 주세요.",
)
DISCRIMINATION_VARIANTS: Final = (
    "20~35세 여성만 지원 가능합니다.",
    "30대까지만 지원 가능해요.",
    "용모 단정한 미혼 여성 우대합니다.",
    "키 160 이상인 분만 지원해 주세요.",
    "젊은 남자 직원 구합니다.",
    "20대 초중반 여성 선호합니다.",
)
# A phrase of each variant above, for tests and rule fixtures that look for the discriminatory postings.
DISCRIMINATION_MARKERS: Final = ("여성만", "30대까지", "미혼", "키 160", "젊은 남자", "20대 초중반")
FEE_VARIANTS: Final = (
    "근무 전 교육비 30만원 선입금이 필요합니다.",
    "등록비 5만원 입금 후 일정이 배정됩니다.",
    "유니폼 비용 선입금 (3개월 근무 시 환급).",
    "보증금 10만원 입금 후 업무 시작합니다.",
)
PHISHING_POSTINGS: Final = (
    (
        "현금 수거 고액 알바 당일 지급",
        "고객에게 현금을 전달받아 지정 계좌로 입금하는 간단한 업무입니다. 하루 2~3시간, 일당 {wage} 당일 지급. "
        "경력 무관, 차량 필요 없습니다. 자세한 내용은 텔레그램으로 안내드립니다.",
    ),
    (
        "채권 회수 업무 (하루 40만원)",
        "거래처 미수금을 수금해 전달하는 업무입니다. 합법은 아니지만 불법도 아닌 업무라 걱정 안 하셔도 됩니다. "
        "일당 {wage}, 당일 지급 고수익 보장.",
    ),
    (
        "해외 송금 대행 재택 알바",
        "본인 명의 계좌로 입금된 금액을 해외로 송금 대행하는 재택 업무입니다. 건당 수수료 지급, 일당 {wage} 이상. "
        "통장 대여 아닙니다.",
    ),
    (
        "환전 알바 고수익 (체크카드 전달)",
        "체크카드 전달과 환전 업무만 하시면 됩니다. 하루 1~2시간, 일당 {wage} 당일 지급.",
    ),
)
FALSE_AD_POSTINGS: Final = (
    ("재택 부업 알선 - 하루 1시간 월 300", "스마트폰만 있으면 누구나 가능한 재택 부업을 알선해 드립니다. {wage} 보장."),
    ("교육 수료 후 채용 (사무직)", "4주 교육 수료 후 채용합니다. 교육 수강료는 본인 부담이며 {wage} 지급 예정."),
    ("화장품 판매원 모집 (다단계 아님)", "지인 소개로 화장품을 판매하는 일입니다. 판매 실적에 따라 {wage} 이상 가능."),
)
HARMFUL_POSTINGS: Final = (
    ("노래주점 도우미 고수익", "노래주점 도우미 구합니다. 일당 {wage}, 숙소 제공, 초보 환영."),
    ("룸 서빙 (유흥주점) 당일 지급", "유흥주점 룸 서빙 업무입니다. 일당 {wage} 당일 지급, 나이 무관."),
)
# Re-posts alternate between verbatim (same content fingerprint) and a tweaked title (a near-duplicate only
# the rules' similarity check finds); the text itself stays the same.
REPOST_TITLES: Final = ("{title}", "급구!! {title}", "{title}", "[재등록] {title}", "{title}", "{title} (재공고)")

# Postings that are a scam (or an adult venue) through and through: their own category, text and daily pay.
SCAM_CATEGORIES: Final = {
    "phishing": Category.ERRANDS.value,
    "false_ad": Category.OFFICE.value,
    "harmful": Category.EVENTS.value,
}
SCAM_POSTINGS: Final = {"phishing": PHISHING_POSTINGS, "false_ad": FALSE_AD_POSTINGS, "harmful": HARMFUL_POSTINGS}
# Gig-like work that often states its dates.
SHORT_TERM_CATEGORIES: Final = frozenset(
    {Category.EVENTS, Category.ERRANDS, Category.DELIVERY, Category.MANUFACTURING, Category.IT}
)
# Share of rejected / hidden / closed postings that got there straight from review (never published).
NEVER_PUBLISHED_SHARE: Final = {PostingStatus.REJECTED: 0.6, PostingStatus.HIDDEN: 0.15, PostingStatus.CLOSED: 0.05}
SIGNATURE_TITLES: Final = {
    category: {
        kind: tuple((title, role) for title, t, role in profile.signature_titles if t == kind)
        for kind in EMPLOYMENT_TYPES
    }
    for category, profile in PROFILES.items()
}


@functools.cache
def _roles_for(category: str, kind: str) -> tuple[str, ...]:
    """The roles a business of this kind hires for ("" = any kind, e.g. a company without a shop type)."""
    profile = PROFILES[category]
    return tuple(
        role for role in profile.roles if not kind or role not in profile.role_kinds or kind in profile.role_kinds[role]
    )


TITLE_SUFFIXES: Final = {FT: FULL_TIME_SUFFIXES, PT: PART_TIME_SUFFIXES, FL: FREELANCE_SUFFIXES}
UNIX_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()


# Statuses as plain strings for the hot loops (an enum attribute lookup costs more than the comparison).
POSTING_PENDING_REVIEW, POSTING_PUBLISHED = PostingStatus.PENDING_REVIEW.value, PostingStatus.PUBLISHED.value
POSTING_CLOSED, POSTING_EXPIRED = PostingStatus.CLOSED.value, PostingStatus.EXPIRED.value
APPLICATION_SUBMITTED, APPLICATION_VIEWED, APPLICATION_SHORTLISTED = (
    ApplicationStatus.SUBMITTED.value,
    ApplicationStatus.VIEWED.value,
    ApplicationStatus.SHORTLISTED.value,
)
APPLICATION_HIRED, APPLICATION_REJECTED, APPLICATION_WITHDRAWN = (
    ApplicationStatus.HIRED.value,
    ApplicationStatus.REJECTED.value,
    ApplicationStatus.WITHDRAWN.value,
)
FILLED, CANCELLED = CloseReason.FILLED.value, CloseReason.CANCELLED.value


# --- generated rows (plain values; timestamps are Unix seconds, converted once when written) ---------------
Stamp = int


@dataclass(slots=True)
class EmployerRow:
    external_id: str
    business_name: str
    business_number: str
    phone: str
    region_code: str
    verification_status: str
    account_status: str
    suspended_until: Stamp | None
    created_at: Stamp
    category: str
    kind: str  # business kind ("김밥", "편의점", …), empty for the shady accounts
    shady: bool
    has_branch: bool  # a shop ("… 역삼점") hires for its own branch; a company also for other sites
    activity: float  # relative share of postings: a few employers post a lot


@dataclass(slots=True)
class SeekerRow:
    external_id: str
    display_name: str
    phone: str
    birth_year: int
    region_code: str
    account_status: str
    suspended_until: Stamp | None
    last_active_at: Stamp
    created_at: Stamp


@dataclass(slots=True)
class PostingRow:
    external_id: str
    employer_index: int
    title: str
    description: str
    employment_type: str
    wage_type: str
    wage_amount: int
    hours_per_week: int | None
    region_code: str
    category: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    status: str
    status_changed_at: Stamp
    published_at: Stamp | None
    expires_at: Stamp | None
    closed_at: Stamp | None
    close_reason: str
    created_at: Stamp
    violation: str = ""
    first_application_at: Stamp | None = None
    applications: list[ApplicationRow] = field(default_factory=list)


@dataclass(slots=True)
class ApplicationRow:
    external_id: str
    seeker_index: int
    message: str
    status: str
    submitted_at: Stamp
    viewed_at: Stamp | None
    shortlisted_at: Stamp | None
    hired_at: Stamp | None
    rejected_at: Stamp | None
    withdrawn_at: Stamp | None
    status_changed_at: Stamp


class _Weights:
    """A weighted choice prepared once (``random.choices`` recomputes the cumulative weights per call)."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        # Plain strings, not TextChoices members: they go to the database driver as they are.
        self.keys = tuple(str(key) for key in weights)
        self.cumulative = tuple(accumulate(weights.values()))
        self.total = self.cumulative[-1]


class _Dice(random.Random):
    """``random.Random`` with cheaper draws: built on ``random()`` alone, they cost a fraction of ``randint``
    and ``choice`` (which matters for the millions of draws of a 100,000-posting seed)."""

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def pick(self, options: Sequence[_T]) -> _T:
        return options[int(self.random() * len(options))]

    def weighted(self, weights: _Weights) -> str:
        return weights.keys[bisect_right(weights.cumulative, self.random() * weights.total)]

    def distinct_indexes(self, population: int, count: int) -> list[int]:
        """``count`` distinct numbers below ``population``, in draw order (count ≤ population)."""
        chosen: dict[int, None] = {}
        while len(chosen) < count:
            chosen[int(self.random() * population)] = None
        return list(chosen)


CATEGORY_CHOICE: Final = _Weights({category: profile.weight for category, profile in PROFILES.items()})
EMPLOYMENT_CHOICE: Final = {
    category: _Weights(dict(zip(EMPLOYMENT_TYPES, profile.employment_weights, strict=True)))
    for category, profile in PROFILES.items()
}
WAGE_TYPE_CHOICE: Final = {employment_type: _Weights(dict(w)) for employment_type, w in WAGE_TYPE_WEIGHTS.items()}
FAMILY_NAME_CHOICE: Final = _Weights(dict(zip(FAMILY_NAMES, FAMILY_NAME_WEIGHTS, strict=True)))
VIOLATION_CHOICE: Final = _Weights(VIOLATION_WEIGHTS)
POSTING_STATUS_CHOICE: Final = _Weights(POSTING_STATUS_WEIGHTS)
RULE_BREAKING_STATUS_CHOICE: Final = _Weights(RULE_BREAKING_STATUS_WEIGHTS)
CLOSE_REASON_CHOICE: Final = _Weights(CLOSE_REASON_WEIGHTS)
LIVE_APPLICATION_CHOICE: Final = _Weights(LIVE_APPLICATION_WEIGHTS)
ENDED_APPLICATION_CHOICE: Final = _Weights(ENDED_APPLICATION_WEIGHTS)


def _round_to(value: float, step: int) -> int:
    return int(round(value / step) * step)


def _ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


def _won(amount: int) -> str:
    """How Korean postings write amounts: '12,000원', '250만원'."""
    if amount >= 100_000 and amount % 10_000 == 0:
        return f"{amount // 10_000:,}만원"
    return f"{amount:,}원"


def _branch(dong: str) -> str:
    # "역삼동" → "역삼" (for "역삼점"); a one-syllable stem ("우동" → "우") would not read as a place.
    return dong[:-1] if dong.endswith("동") and len(dong) > 2 else dong


def _object_particle(word: str) -> str:
    """을 after a final consonant (받침), 를 after a vowel: "홀서빙을", "바리스타를"."""
    syllable = ord(word[-1]) - 0xAC00
    return "을" if 0 <= syllable < 11_172 and syllable % 28 else "를"


def _aware(stamp: Stamp) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def _seoul_date(stamp: Stamp) -> dt.date:
    return dt.datetime.fromtimestamp(stamp, SEOUL).date()


class _Generator:
    """Builds all rows in memory in one fixed order of random draws, then writes them.

    Timestamps are integer Unix seconds until written: datetime arithmetic and conversion for ~2 million
    values would cost seconds of the time budget, and whole seconds are all demo data needs.
    """

    def __init__(self, *, seed: int, now: dt.datetime, table: MinimumWageTable) -> None:
        self.rng = _Dice(seed)
        # Midnight in Seoul: the same seed gives the same rows all day. Past events happen before it,
        # future ones (expiry, suspension ends) after it.
        local_midnight = now.astimezone(SEOUL).replace(hour=0, minute=0, second=0, microsecond=0)
        self.today = local_midnight.date()
        self.base: Stamp = int(local_midnight.timestamp())
        self.table = table
        self.region_codes = tuple(REGIONS)
        self.employers: list[EmployerRow] = []
        self.seekers: list[SeekerRow] = []
        self.postings: list[PostingRow] = []
        self.application_total = 0
        self._variant_counters: dict[str, int] = {}
        self._minimum_cache: dict[tuple[str, str, int | None, int], int | None] = {}

    # --- helpers ------------------------------------------------------------------------------------------
    def _ago(self, low_seconds: int, high_seconds: int) -> Stamp:
        return self.base - self.rng.between(low_seconds, high_seconds)

    def _after(self, start: Stamp, mean_seconds: float, *, minimum: int = MINUTE) -> Stamp:
        """An event some random time after ``start`` (exponential delay), never after the base time: one that
        would be later lands somewhere between ``start`` and the base time (not all exactly at midnight)."""
        moment = start + minimum + int(self.rng.expovariate(1 / mean_seconds))
        if moment <= self.base:
            return moment
        return start + int((self.base - start) * self.rng.random()) if start < self.base else self.base

    def _between(self, start: Stamp, end: Stamp) -> Stamp:
        return start + self.rng.between(0, end - start) if end > start else start

    def _next_variant(self, kind: str, variants: Sequence[_T]) -> _T:
        # Rotating rather than random: every variant appears as soon as there are enough postings.
        index = self._variant_counters.get(kind, 0)
        self._variant_counters[kind] = index + 1
        return variants[index % len(variants)]

    def _digits(self, count: int) -> str:
        return f"{self.rng.between(0, 10**count - 1):0{count}d}"

    def _mobile(self) -> str:
        return f"010-{self.rng.between(2000, 9999)}-{self._digits(4)}"

    # --- employers and seekers ----------------------------------------------------------------------------
    def make_employers(self, count: int) -> None:
        rng = self.rng
        # About 8 % shady accounts, spread evenly after the category-covering first ones.
        shady_step = max(1, (count - len(CATEGORIES)) // max(2, round(count * 0.08)))
        for index in range(count):
            region = rng.pick(self.region_codes)
            dong = REGIONS[region][2]
            # The first employers cover every category, so even a tiny seed has all of them.
            shady = index >= len(CATEGORIES) and (index - len(CATEGORIES)) % shady_step == 0
            category = CATEGORIES[index] if index < len(CATEGORIES) else rng.weighted(CATEGORY_CHOICE)
            profile = PROFILES[category]
            if shady:
                # New, unverified, often without a business number: the accounts scams come from.
                name = rng.pick(SHADY_NAMES).format(brand=rng.pick(CORPORATE_BRANDS))
                has_branch = False
                kind = ""
                business_number = self._digits(10) if rng.random() < 0.4 else ""
                verified = False
                created_at = self._ago((POSTING_HISTORY_DAYS + 1) * DAY, 120 * DAY)
                suspended_share, banned_share = 0.15, 0.10
            else:
                pattern = rng.pick(profile.name_patterns)
                has_branch = "{branch}" in pattern
                brands = CORPORATE_BRANDS if pattern.startswith("(주)") or "{branch}" not in pattern else SHOP_BRANDS
                kind = rng.pick(profile.kinds)
                name = pattern.format(brand=rng.pick(brands), kind=kind, branch=_branch(dong))
                business_number = self._digits(10) if rng.random() < 0.92 else ""
                verified = rng.random() < 0.85
                created_at = self._ago((POSTING_HISTORY_DAYS + 1) * DAY, 1500 * DAY)
                suspended_share, banned_share = 0.015, 0.003
            status_roll = rng.random()
            account_status = (
                AccountStatus.SUSPENDED.value
                if status_roll < suspended_share
                else AccountStatus.BANNED.value
                if status_roll < suspended_share + banned_share
                else AccountStatus.ACTIVE.value
            )
            area_code = AREA_CODES.get(region[:2], "02")
            phone = f"{area_code}-{rng.between(200, 999)}-{self._digits(4)}" if rng.random() < 0.5 else self._mobile()
            self.employers.append(
                EmployerRow(
                    external_id=f"{EMPLOYER_PREFIX}{index + 1:06d}",
                    business_name=name,
                    business_number=business_number,
                    phone=phone,
                    region_code=region,
                    verification_status=(
                        VerificationStatus.VERIFIED if verified else VerificationStatus.UNVERIFIED
                    ).value,
                    account_status=account_status,
                    # The model's check constraint: a suspension has an end (and it is in the future).
                    suspended_until=(
                        self.base + rng.between(1, 30) * DAY + rng.between(0, 23) * HOUR
                        if account_status == AccountStatus.SUSPENDED
                        else None
                    ),
                    created_at=created_at,
                    category=category,
                    kind=kind,
                    shady=shady,
                    has_branch=has_branch,
                    activity=min(rng.paretovariate(1.3), 40.0),
                )
            )

    def make_seekers(self, count: int) -> None:
        rng = self.rng
        for index in range(count):
            last_active_at = self._ago(0, SEEKER_ACTIVITY_DAYS * DAY)
            # Most seekers are young; a long tail up to the early 60s.
            age = min(66, max(19, int(rng.gammavariate(2.2, 7.0)) + 18))
            status_roll = rng.random()
            account_status = (
                AccountStatus.SUSPENDED.value
                if status_roll < 0.01
                else AccountStatus.BANNED.value
                if status_roll < 0.013
                else AccountStatus.ACTIVE.value
            )
            self.seekers.append(
                SeekerRow(
                    external_id=f"{SEEKER_PREFIX}{index + 1:06d}",
                    display_name=rng.weighted(FAMILY_NAME_CHOICE) + rng.pick(GIVEN_NAMES),
                    phone=self._mobile() if rng.random() < 0.9 else "",
                    birth_year=max(1960, min(2007, self.today.year - age)),
                    region_code=rng.pick(self.region_codes),
                    account_status=account_status,
                    suspended_until=(
                        self.base + rng.between(1, 14) * DAY if account_status == AccountStatus.SUSPENDED else None
                    ),
                    last_active_at=last_active_at,
                    created_at=last_active_at - rng.between(0, 700 * DAY),
                )
            )

    # --- postings -------------------------------------------------------------------------------------------
    def make_postings(self, count: int) -> None:
        rng = self.rng
        regular_by_category: dict[str, list[int]] = {c: [] for c in CATEGORIES}
        shady: list[int] = []
        for index, employer in enumerate(self.employers):
            (shady if employer.shady else regular_by_category[employer.category]).append(index)
        # Cumulative activity weights: choosing an employer is a bisect, not a scan.
        cumulative = {
            c: list(accumulate(self.employers[i].activity for i in indexes))
            for c, indexes in regular_by_category.items()
        }
        statuses = tuple(PostingStatus.values)
        violations = tuple(VIOLATION_WEIGHTS)

        def pick_regular(category: str) -> int:
            indexes = regular_by_category[category]
            weights = cumulative[category]
            return indexes[bisect_right(weights, rng.random() * weights[-1]) if len(indexes) > 1 else 0]

        for index in range(count):
            external_id = f"{POSTING_PREFIX}{index + 1:07d}"
            # The first postings force every category, employment type and status (small seeds cover all),
            # then one of each kind of rule-breaking.
            forced_category = CATEGORIES[index] if index < len(CATEGORIES) else None
            forced_type = EMPLOYMENT_TYPES[index % 3] if index < len(CATEGORIES) else None
            forced_status = statuses[index] if index < len(statuses) else None
            if len(CATEGORIES) <= index < len(CATEGORIES) + len(violations):
                violation = violations[index - len(CATEGORIES)]
            elif index >= len(CATEGORIES) and rng.random() < RULE_BREAKING_SHARE:
                violation = rng.weighted(VIOLATION_CHOICE)
            else:
                violation = ""
            if violation == "duplicate" and self.postings:
                self.postings.append(self._duplicate_posting(external_id))
                continue
            if violation == "duplicate":
                violation = "min_wage"

            if violation and shady and (violation in SHADY_ONLY_VIOLATIONS or rng.random() < 0.5):
                employer_index = rng.pick(shady)
                category = forced_category or rng.weighted(CATEGORY_CHOICE)
            else:
                category = forced_category or rng.weighted(CATEGORY_CHOICE)
                employer_index = pick_regular(category)
            self.postings.append(
                self._new_posting(
                    external_id=external_id,
                    employer_index=employer_index,
                    category=category,
                    forced_type=forced_type,
                    forced_status=forced_status,
                    violation=violation,
                )
            )

    def _new_posting(
        self,
        *,
        external_id: str,
        employer_index: int,
        category: str,
        forced_type: str | None,
        forced_status: str | None,
        violation: str,
    ) -> PostingRow:
        rng = self.rng
        employer = self.employers[employer_index]
        if violation in SCAM_CATEGORIES:
            # Scams and adult venues pay by the day, far above the work: that is the bait.
            employment_type = forced_type or rng.pick((PT, FL))
            category = SCAM_CATEGORIES[violation]
        else:
            employment_type = forced_type or rng.weighted(EMPLOYMENT_CHOICE[category])
        profile = PROFILES[category]
        wage_type = rng.weighted(WAGE_TYPE_CHOICE[employment_type])
        if violation == "min_wage" and wage_type == WageType.PER_PROJECT:
            wage_type = WageType.HOURLY.value  # the minimum wage does not apply to per-project pay
        if violation in SCAM_CATEGORIES:
            wage_type = WageType.DAILY.value
        hours_per_week: int | None
        if employment_type == PT:
            hours_per_week = rng.pick(PART_TIME_HOURS)  # the part-time policy requires weekly hours
        elif employment_type == FT:
            hours_per_week = 40 if rng.random() < 0.5 else None
        else:
            # A "freelancer" with fixed weekly hours is what disguised employment looks like (DOMAIN.md).
            hours_per_week = rng.pick((20, 40)) if rng.random() < 0.1 else None
        region_code = employer.region_code if employer.has_branch or rng.random() < 0.7 else rng.pick(self.region_codes)
        dong = REGIONS[region_code][2]

        status = forced_status or rng.weighted(RULE_BREAKING_STATUS_CHOICE if violation else POSTING_STATUS_CHOICE)
        lifetime_days = policy_for(employment_type).default_lifetime.days
        created_at = self._created_at_for(status, lifetime_days)
        starts_on, ends_on = self._work_dates(created_at, category, employment_type)
        row = PostingRow(
            external_id=external_id,
            employer_index=employer_index,
            title="",
            description="",
            employment_type=employment_type,
            wage_type=wage_type,
            wage_amount=0,
            hours_per_week=hours_per_week,
            region_code=region_code,
            category=category,
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
            status_changed_at=created_at,
            published_at=None,
            expires_at=None,
            closed_at=None,
            close_reason="",
            created_at=created_at,
            violation=violation,
        )
        self._apply_timeline(row)
        row.wage_amount = self._wage(row, profile, violation)
        row.title, row.description = self._text(row, profile, employer, dong, violation)
        return row

    def _created_at_for(self, status: str, lifetime_days: int) -> Stamp:
        """A creation time that fits the status: a live posting has not outlived its lifetime yet."""
        if status == POSTING_PENDING_REVIEW:
            return self._ago(10 * MINUTE, 3 * DAY)
        if status == POSTING_PUBLISHED:
            # Still live at the end of today (the seed is "as of midnight", the clock runs on), and skewed to
            # recent days: the marketplace grows, and recent postings are most of the live ones.
            return self._ago(HOUR, int((lifetime_days - 1.5) * DAY * self.rng.random() ** 1.5) + HOUR)
        if status == POSTING_EXPIRED:
            return self._ago((lifetime_days + 1) * DAY, POSTING_HISTORY_DAYS * DAY)
        return self._ago(2 * HOUR, POSTING_HISTORY_DAYS * DAY)

    def _work_dates(
        self, created_at: Stamp, category: str, employment_type: str
    ) -> tuple[dt.date | None, dt.date | None]:
        rng = self.rng
        created_on = _seoul_date(created_at)
        if employment_type != FT and category in SHORT_TERM_CATEGORIES and rng.random() < 0.6:
            starts_on = created_on + dt.timedelta(days=rng.between(1, 14))
            return starts_on, starts_on + dt.timedelta(days=rng.between(0, 45))
        if rng.random() < 0.35:
            return created_on + dt.timedelta(days=rng.between(1, 21)), None
        return None, None

    def _apply_timeline(self, row: PostingRow) -> None:
        """Fill published/expiry/closing times consistent with the status, all before the base time."""
        rng = self.rng
        status = row.status
        if status == POSTING_PUBLISHED and row.ends_on is not None and row.ends_on <= self.today:
            # A live posting's work has not ended yet (else it would have expired).
            row.ends_on = self.today + dt.timedelta(days=rng.between(1, 14))
            if row.starts_on is not None and row.starts_on > row.ends_on:
                row.starts_on = row.ends_on

        never_published = status == POSTING_PENDING_REVIEW or (
            status in NEVER_PUBLISHED_SHARE and rng.random() < NEVER_PUBLISHED_SHARE[status]
        )
        if never_published:
            if status != POSTING_PENDING_REVIEW:
                row.status_changed_at = self._after(row.created_at, 6 * HOUR, minimum=10 * MINUTE)
            if status == POSTING_CLOSED:
                row.closed_at = row.status_changed_at
                row.close_reason = CANCELLED
            return

        published_at = self._after(row.created_at, 90 * MINUTE, minimum=5 * MINUTE)
        row.published_at = published_at
        # The same rule posting_change_status applies when a posting is published.
        expires = policy_for(row.employment_type).expires_at(_aware(published_at), row.ends_on, SEOUL)
        row.expires_at = int(expires.timestamp())
        if status == POSTING_PUBLISHED:
            row.status_changed_at = published_at
            if row.expires_at <= self.base + DAY:
                # Not expected (see _created_at_for); a live posting must not be due for expiry today.
                row.expires_at = self.base + DAY + HOUR
            return
        if status == POSTING_EXPIRED:
            # The expiry job runs every few minutes.
            row.status_changed_at = min(row.expires_at + rng.between(0, 30 * MINUTE), self.base)
            return
        visible_until = min(row.expires_at, self.base)
        changed_at = self._between(min(published_at + HOUR, visible_until), visible_until)
        row.status_changed_at = changed_at
        if status == POSTING_CLOSED:
            row.closed_at = changed_at
            row.close_reason = rng.weighted(CLOSE_REASON_CHOICE)

    def _required_pay(self, row: PostingRow, wage_type: str) -> int | None:
        """The legal minimum for the posting's wage unit (None for per-project pay), as the screening
        computes it: the year the work starts, else the publication (or creation) date."""
        judged_on = _seoul_date(row.published_at or row.created_at)
        year = (row.starts_on or judged_on).year
        key = (row.employment_type, wage_type, row.hours_per_week, year)
        if key not in self._minimum_cache:
            terms = PostingTerms(
                employment_type=row.employment_type,
                wage_type=wage_type,
                wage_amount=1,
                hours_per_week=row.hours_per_week,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
            )
            minimum = policy_for(row.employment_type).minimum_pay(terms, self.table, judged_on)
            self._minimum_cache[key] = None if minimum is None else minimum.required_amount
        return self._minimum_cache[key]

    def _wage(self, row: PostingRow, profile: CategoryProfile, violation: str) -> int:
        rng = self.rng
        wage_type = row.wage_type
        if violation in SCAM_CATEGORIES:
            return rng.pick((300_000, 350_000, 400_000, 500_000))
        if wage_type == WageType.HOURLY:
            low, high, step = *profile.hourly, 100
        elif wage_type == WageType.DAILY:
            low, high, step = *profile.daily, 5_000
        elif wage_type == WageType.MONTHLY:
            low, high, step = *profile.monthly, 10_000
            if row.hours_per_week is not None and row.hours_per_week < 40:
                # A shorter week is paid proportionally (and stays above the pro-rated minimum below).
                low, high = (int(v * row.hours_per_week / 40) for v in (low, high))
        else:
            low, high, step = *profile.per_project, 10_000 if profile.per_project[0] >= 10_000 else 500
        amount = _round_to(rng.uniform(low, high), step)
        required = self._required_pay(row, wage_type)
        if required is None:
            return max(amount, step)
        if violation == "min_wage":
            # The classic mistakes: last year's (or an older) rate, a round number, a monthly sum for 40 h
            # that forgets the paid weekly holiday.
            if wage_type == WageType.HOURLY:
                candidates = [a for a in (9_000, 9_500, 9_860, 10_000) if a < required]
            elif wage_type == WageType.DAILY:
                candidates = [a for a in (70_000, 75_000, 80_000) if a < required]
            else:
                candidates = [_round_to(required * share, 10_000) for share in (0.83, 0.88, 0.93)]
            return rng.pick([a for a in candidates if 0 < a < required] or [required - 1_000])
        twelve_hours = row.employment_type == PT and wage_type == WageType.HOURLY and row.hours_per_week == 12
        if twelve_hours and rng.random() < 0.5:
            # DOMAIN.md: "주 12시간 시급 10,320원" is legal (no weekly-holiday pay below 15 h).
            return required
        return max(amount, _ceil_to(required, step))

    def _text(
        self, row: PostingRow, profile: CategoryProfile, employer: EmployerRow, dong: str, violation: str
    ) -> tuple[str, str]:
        rng = self.rng
        wage_text = _won(row.wage_amount)
        if violation in SCAM_CATEGORIES:
            title, description = self._next_variant(violation, SCAM_POSTINGS[violation])
            return title, description.format(wage=wage_text)

        roles = _roles_for(row.category, employer.kind if employer.category == row.category else "")
        signature = [
            (title, role) for title, role in SIGNATURE_TITLES[row.category][row.employment_type] if role in roles
        ]
        shift = rng.pick(SHIFT_WORDS)
        if signature and rng.random() < 0.4:
            title, role = rng.pick(signature)
            # A title that names its shift ("주말", "야간") gets that shift's schedule.
            shift = next((word for word in SHIFT_WORDS if word in title), shift)
        else:
            role = rng.pick(roles)
            title = f"{role} " + rng.pick(TITLE_SUFFIXES[row.employment_type]).format(shift=shift, dong=dong)

        duties = [profile.roles[role][i] for i in rng.distinct_indexes(len(profile.roles[role]), 2)]
        person = role if role.endswith(PERSON_SUFFIXES) else f"{role} 직원"
        intro = rng.pick(INTROS).format(
            business=employer.business_name,
            role=role,
            person=person,
            dong=dong,
            object_particle=_object_particle(person),
        )
        sentences = [intro, f"주요 업무는 {duties[0]}, {duties[1]}입니다."]
        if row.employment_type == FT:
            sentences.append(rng.pick(FULL_TIME_SCHEDULES))
        elif row.employment_type == PT:
            sentences.append(f"근무는 {SHIFTS[shift]}, 주 {row.hours_per_week}시간입니다.")
        else:
            remote = row.category in (Category.IT, Category.OFFICE)
            sentences.append(rng.pick(REMOTE_FREELANCE_SCHEDULES if remote else FREELANCE_SCHEDULES))
        if row.starts_on is not None:
            period = f"{row.starts_on.month}월 {row.starts_on.day}일부터"
            if row.ends_on is not None:
                period += f" {row.ends_on.month}월 {row.ends_on.day}일까지"
            sentences.append(f"근무 기간은 {period}입니다.")
        sentences.append(self._pay_sentence(row, wage_text))
        sentences.append(", ".join(PERKS[i] for i in rng.distinct_indexes(len(PERKS), rng.between(1, 3))) + ".")
        if not violation and rng.random() < 0.06:
            fine = LOOKS_BAD_BUT_FINE
            sentences.append(rng.pick(fine["any"] + fine.get(row.category, ()) + fine.get(employer.kind, ())))
        if violation == "contact":
            sentences.append(self._contact_sentence())
        elif violation == "discrimination":
            sentences.insert(2, self._next_variant("discrimination", DISCRIMINATION_VARIANTS))
            if rng.random() < 0.3:
                title += " (20대 여성)"
        elif violation == "fees":
            sentences.insert(-1, self._next_variant("fees", FEE_VARIANTS))
        sentences.append(rng.pick(CLOSINGS))
        return title, " ".join(sentences)

    def _pay_sentence(self, row: PostingRow, wage_text: str) -> str:
        if row.wage_type == WageType.HOURLY:
            weekly_holiday = row.hours_per_week is not None and row.hours_per_week >= 15
            return f"시급 {wage_text}" + (", 주휴수당 별도 지급합니다." if weekly_holiday else "입니다.")
        if row.wage_type == WageType.DAILY:
            return f"일급 {wage_text}, 주 단위로 정산합니다."
        if row.wage_type == WageType.MONTHLY:
            return f"월급 {wage_text} (세전)입니다."
        return f"건당 {wage_text}, 작업 범위에 따라 협의 가능합니다."

    def _contact_sentence(self) -> str:
        rng = self.rng
        four, four2 = str(rng.between(1000, 9999)), self._digits(4)
        handle = "".join(rng.pick("abcdefghjkmnpqrstuvwxyz") for _ in range(rng.between(3, 6))) + self._digits(3)
        return self._next_variant("contact", CONTACT_VARIANTS).format(
            phone=f"010-{four}-{four2}",
            hangul_phone="-".join("".join(HANGUL_DIGITS[int(d)] for d in part) for part in ("010", four, four2)),
            spaced_phone=" ".join("010" + four + four2),
            handle=handle,
            link="".join(rng.pick("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8)),
            four=four,
            four2=four2,
        )

    def _duplicate_posting(self, external_id: str) -> PostingRow:
        """The same employer re-posting a recent posting within days, verbatim or nearly (P7)."""
        rng = self.rng
        # Recent originals: a re-post is the same text again a few days later.
        original = self.postings[rng.between(max(0, len(self.postings) - 200), len(self.postings) - 1)]
        created_at = min(original.created_at + rng.between(DAY, 4 * DAY), self.base - HOUR)
        age_days = (self.base - created_at) / DAY
        lifetime_days = policy_for(original.employment_type).default_lifetime.days
        # Whatever the status, it must fit the age (a live posting younger than its lifetime, and so on).
        feasible = {
            status: weight
            for status, weight in RULE_BREAKING_STATUS_WEIGHTS.items()
            if not (status == POSTING_PUBLISHED and age_days > lifetime_days - 1.5)
            and not (status == POSTING_EXPIRED and age_days < lifetime_days + 1)
            and not (status == POSTING_PENDING_REVIEW and age_days > 3)
        }
        title = self._next_variant("duplicate", REPOST_TITLES).format(title=original.title)
        starts_on, ends_on = original.starts_on, original.ends_on
        if ends_on is not None and ends_on < _seoul_date(created_at):
            starts_on = ends_on = None  # a re-post of finished work drops the dates
        row = PostingRow(
            external_id=external_id,
            employer_index=original.employer_index,
            title=title,
            description=original.description,
            employment_type=original.employment_type,
            wage_type=original.wage_type,
            wage_amount=original.wage_amount,
            hours_per_week=original.hours_per_week,
            region_code=original.region_code,
            category=original.category,
            starts_on=starts_on,
            ends_on=ends_on,
            status=rng.weighted(_Weights(feasible)),
            status_changed_at=created_at,
            published_at=None,
            expires_at=None,
            closed_at=None,
            close_reason="",
            created_at=created_at,
            violation="duplicate",
        )
        self._apply_timeline(row)
        return row

    # --- applications ---------------------------------------------------------------------------------------
    def order_postings_by_creation(self) -> None:
        """Marketplace ids (and database ids) follow creation time, as on the real marketplace. It also makes
        the time-ordered indexes grow at one end, which SQLite inserts much faster than at random places."""
        self.postings.sort(key=lambda row: row.created_at)
        for index, row in enumerate(self.postings):
            row.external_id = f"{POSTING_PREFIX}{index + 1:07d}"

    def make_applications(self) -> None:
        rng = self.rng
        seeker_count = len(self.seekers)
        seeker_activity = [seeker.last_active_at for seeker in self.seekers]
        seeker_first_application: list[Stamp | None] = [None] * seeker_count
        forced_statuses = list(ApplicationStatus.values)
        sequence = 0
        for posting in self.postings:
            if posting.published_at is None:
                continue  # never visible to seekers
            # Seekers apply while the posting is visible: until now if live, else until its status changed.
            window_end = self.base if posting.status == POSTING_PUBLISHED else posting.status_changed_at
            window_end = min(window_end, posting.expires_at or window_end, self.base)
            if window_end <= posting.published_at + MINUTE:
                continue
            # Skewed: most postings get a handful, a few popular ones (or scams) get dozens.
            roll = rng.random()
            if roll < 0.66:
                count = rng.between(0, 2)
            elif roll < 0.96:
                count = rng.between(3, 7)
            else:
                count = rng.between(15, 40)
            if posting.violation in ("phishing", "harmful"):
                count += rng.between(5, 20)  # "고액 알바" draws crowds
            count = min(count, seeker_count)
            if count == 0:
                continue
            weights = LIVE_APPLICATION_CHOICE if posting.status == POSTING_PUBLISHED else ENDED_APPLICATION_CHOICE
            statuses = [rng.weighted(weights) for _ in range(count)]
            # Statuses that must be reached even if the clock says it is early: "filled" means someone was
            # hired, and every status appears even in a tiny seed.
            must_reach = [False] * count
            if posting.close_reason == FILLED and APPLICATION_HIRED not in statuses:
                statuses[0], must_reach[0] = APPLICATION_HIRED, True
            if forced_statuses:
                forced, forced_statuses = forced_statuses[:count], forced_statuses[count:]
                statuses[: len(forced)] = forced
                must_reach[: len(forced)] = [True] * len(forced)
            window_start = posting.published_at + MINUTE
            targets = zip(rng.distinct_indexes(seeker_count, count), statuses, must_reach, strict=True)
            for seeker_index, status, must in targets:
                sequence += 1
                application = self._application(sequence, seeker_index, status, window_start, window_end, must)
                posting.applications.append(application)
                # Applying and withdrawing are the seeker's own activity (as application_submit records it).
                activity = application.withdrawn_at or application.submitted_at
                if activity > seeker_activity[seeker_index]:
                    seeker_activity[seeker_index] = activity
                first = seeker_first_application[seeker_index]
                if first is None or application.submitted_at < first:
                    seeker_first_application[seeker_index] = application.submitted_at
            posting.first_application_at = min(a.submitted_at for a in posting.applications)
        self.application_total = sequence
        for seeker, last_active_at, first in zip(self.seekers, seeker_activity, seeker_first_application, strict=True):
            seeker.last_active_at = last_active_at
            if first is not None and seeker.created_at > first:
                seeker.created_at = first - rng.between(HOUR, 30 * DAY)  # signed up before applying

    def _application(
        self,
        sequence: int,
        seeker_index: int,
        status: str,
        window_start: Stamp,
        window_end: Stamp,
        must_reach: bool,
    ) -> ApplicationRow:
        """One application heading for ``status``; each step follows the one before. A step that would fall
        after the base time has not happened yet, so the application stays at the step before (unless
        ``must_reach``: then the remaining steps squeeze in before the base time)."""
        rng = self.rng
        submitted_at = self._between(window_start, window_end)
        plan: list[tuple[str, int]] = []  # (status reached, mean delay in seconds)
        if status == APPLICATION_WITHDRAWN:
            if rng.random() < 0.4:
                plan.append((APPLICATION_VIEWED, 8 * HOUR))
            plan.append((APPLICATION_WITHDRAWN, 2 * DAY))
        elif status != APPLICATION_SUBMITTED:
            plan.append((APPLICATION_VIEWED, 8 * HOUR))
            if status in (APPLICATION_SHORTLISTED, APPLICATION_HIRED) or (
                status == APPLICATION_REJECTED and rng.random() < 0.3
            ):
                plan.append((APPLICATION_SHORTLISTED, DAY))
            if status in (APPLICATION_HIRED, APPLICATION_REJECTED):
                plan.append((status, 2 * DAY if status == APPLICATION_HIRED else DAY))
        reached: dict[str, Stamp] = {}
        current, latest = APPLICATION_SUBMITTED, submitted_at
        for step, mean_delay in plan:
            moment = latest + MINUTE + int(rng.expovariate(1 / mean_delay))
            if moment > self.base:
                if not must_reach:
                    break
                moment = self._after(latest, mean_delay)
            reached[step] = latest = moment
            current = step
        return ApplicationRow(
            external_id=f"{APPLICATION_PREFIX}{sequence:08d}",
            seeker_index=seeker_index,
            message=rng.pick(APPLICATION_MESSAGES) if rng.random() < 0.6 else "",
            status=current,
            submitted_at=submitted_at,
            viewed_at=reached.get(APPLICATION_VIEWED),
            shortlisted_at=reached.get(APPLICATION_SHORTLISTED),
            hired_at=reached.get(APPLICATION_HIRED),
            rejected_at=reached.get(APPLICATION_REJECTED),
            withdrawn_at=reached.get(APPLICATION_WITHDRAWN),
            status_changed_at=latest,
        )

    # --- writing --------------------------------------------------------------------------------------------
    def write(self, writer: _BatchWriter, progress: Progress | None) -> None:
        """Insert parents first; each table's ids are read back (by external id) for the next one's foreign
        keys."""
        stamp = writer.stamp
        day = connection.ops.adapt_datefield_value
        _insert_rows(
            writer,
            Employer,
            (
                "external_id",
                "business_name",
                "business_number",
                "phone",
                "region_code",
                "verification_status",
                "account_status",
                "suspended_until",
                "created_at",
                "updated_at",
            ),
            (
                (
                    row.external_id,
                    row.business_name,
                    row.business_number,
                    row.phone,
                    row.region_code,
                    row.verification_status,
                    row.account_status,
                    stamp(row.suspended_until),
                    stamp(row.created_at),
                    stamp(row.created_at),
                )
                for row in self.employers
            ),
        )
        _insert_rows(
            writer,
            Seeker,
            (
                "external_id",
                "display_name",
                "phone",
                "birth_year",
                "region_code",
                "account_status",
                "suspended_until",
                "last_active_at",
                "created_at",
                "updated_at",
            ),
            (
                (
                    row.external_id,
                    row.display_name,
                    row.phone,
                    row.birth_year,
                    row.region_code,
                    row.account_status,
                    stamp(row.suspended_until),
                    stamp(row.last_active_at),
                    stamp(row.created_at),
                    stamp(row.last_active_at),
                )
                for row in self.seekers
            ),
        )
        employer_ids = _ids_by_external_id(Employer, EMPLOYER_PREFIX)
        seeker_ids = _ids_by_external_id(Seeker, SEEKER_PREFIX)
        employer_id_by_index = [employer_ids[row.external_id] for row in self.employers]
        seeker_id_by_index = [seeker_ids[row.external_id] for row in self.seekers]

        def posting_values(row: PostingRow) -> tuple[object, ...]:
            changed = stamp(row.status_changed_at)
            return (
                row.external_id,
                employer_id_by_index[row.employer_index],
                row.title,
                row.description,
                row.employment_type,
                row.wage_type,
                row.wage_amount,
                row.hours_per_week,
                row.region_code,
                row.category,
                day(row.starts_on),
                day(row.ends_on),
                row.status,
                changed,
                stamp(row.published_at),
                stamp(row.expires_at),
                stamp(row.closed_at),
                row.close_reason,
                content_fingerprint(row.title, row.description),
                len(row.applications),
                stamp(row.first_application_at),
                stamp(row.created_at),
                changed,
                changed,
            )

        _insert_rows(
            writer,
            JobPosting,
            (
                "external_id",
                "employer_id",
                "title",
                "description",
                "employment_type",
                "wage_type",
                "wage_amount",
                "hours_per_week",
                "region_code",
                "category",
                "starts_on",
                "ends_on",
                "status",
                "status_changed_at",
                "published_at",
                "expires_at",
                "closed_at",
                "close_reason",
                "content_fingerprint",
                "application_count",
                "first_application_at",
                "created_at",
                "updated_at",
                "source_updated_at",
            ),
            (posting_values(row) for row in self.postings),
            progress=progress,
        )
        posting_ids = _ids_by_external_id(JobPosting, POSTING_PREFIX)

        def application_values(posting_id: int, app: ApplicationRow) -> tuple[object, ...]:
            submitted, changed = stamp(app.submitted_at), stamp(app.status_changed_at)
            return (
                app.external_id,
                posting_id,
                seeker_id_by_index[app.seeker_index],
                app.message,
                app.status,
                submitted,
                stamp(app.viewed_at),
                stamp(app.shortlisted_at),
                stamp(app.hired_at),
                stamp(app.rejected_at),
                stamp(app.withdrawn_at),
                changed,
                submitted,
                changed,
                changed,
            )

        _insert_rows(
            writer,
            Application,
            (
                "external_id",
                "posting_id",
                "seeker_id",
                "message",
                "status",
                "submitted_at",
                "viewed_at",
                "shortlisted_at",
                "hired_at",
                "rejected_at",
                "withdrawn_at",
                "status_changed_at",
                "created_at",
                "updated_at",
                "source_updated_at",
            ),
            (
                application_values(posting_ids[row.external_id], app)
                for row in self.postings
                for app in row.applications
            ),
            progress=progress,
        )


@contextmanager
def _large_sqlite_cache(kibibytes: int = 256 * 1024) -> Iterator[None]:
    """Let SQLite keep the growing tables and indexes in memory while inserting (the default cache is 2 MB,
    and index pages evicted mid-insert are read back again). Per connection, restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kibibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


@contextmanager
def _sqlite_indexes_built_after(models: Sequence[type[Model]]) -> Iterator[None]:
    """On SQLite, drop these tables' secondary indexes and create them again after the inserts: building an
    index from the finished table is much cheaper than updating a dozen B-trees for every row (measured for
    100,000 postings: 17 s → 8.5 s). Must run inside a transaction: SQLite DDL rolls back with it, so a failed
    seed leaves the indexes as they were. Unique indexes are recreated too and then check the whole table."""
    if connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(['%s'] * len(tables))}) ORDER BY name",
            tables,
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def _ids_by_external_id(model: type[Model], prefix: str) -> dict[str, int]:
    return dict(model._default_manager.filter(external_id__startswith=prefix).values_list("external_id", "pk"))


class _SqliteUtcText:
    """Unix seconds → the text Django's SQLite backend stores for an aware datetime (adapt_datetimefield_value:
    the naive UTC time, ``str()``-formatted). Table-driven because it runs about two million times."""

    def __init__(self) -> None:
        self._times = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
        self._days: dict[int, str] = {}

    def __call__(self, stamp: Stamp | None) -> str | None:
        if stamp is None:
            return None
        day, second = divmod(stamp, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = f"{dt.date.fromordinal(UNIX_EPOCH_ORDINAL + day).isoformat()} "
        return prefix + self._times[second]


def _adapt_stamp(stamp: Stamp | None) -> object:
    return None if stamp is None else connection.ops.adapt_datetimefield_value(_aware(stamp))


@dataclass(frozen=True)
class _Insert:
    """INSERT INTO table (columns) VALUES …, for one row (``%s`` placeholders) or many (``?``, SQLite)."""

    head: str  # 'INSERT INTO "t" ("a", "b") VALUES '
    columns: int

    def one_row(self) -> str:
        return self.head + "(" + ", ".join(["%s"] * self.columns) + ")"

    @functools.cache  # noqa: B019 - a handful of instances, alive for the whole seed
    def sqlite_rows(self, count: int) -> str:
        row = "(" + ",".join("?" * self.columns) + ")"
        return self.head + ",".join([row] * count)


class _BatchWriter:
    """Runs the INSERT batches on the current connection (so in the caller's transaction).

    On SQLite as multi-row INSERTs on the DB-API connection: a third faster than ``executemany`` of
    single-row statements here, and it skips the DEBUG cursor, which would render every parameter of every
    statement into ``connection.queries``. Elsewhere (PostgreSQL) ``executemany`` through Django's cursor.
    """

    MAX_ROWS_PER_STATEMENT = 1000

    def __init__(self) -> None:
        connection.ensure_connection()
        self.sqlite = connection.vendor == "sqlite"
        self.stamp: Callable[[Stamp | None], object] = (
            _SqliteUtcText() if self.sqlite and connection.timezone == dt.UTC else _adapt_stamp
        )
        if self.sqlite:
            self._raw = connection.connection
            self._max_parameters = self._raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    def submit(self, insert: _Insert, batch: list[tuple[object, ...]]) -> None:
        if not self.sqlite:
            with connection.cursor() as cursor:
                cursor.executemany(insert.one_row(), batch)
            return
        per_statement = max(1, min(self.MAX_ROWS_PER_STATEMENT, self._max_parameters // insert.columns))
        # As Django's cursor would: sqlite3.IntegrityError becomes django.db.IntegrityError, etc.
        with connection.wrap_database_errors:
            for start in range(0, len(batch), per_statement):
                rows = batch[start : start + per_statement]
                self._raw.execute(insert.sqlite_rows(len(rows)), list(chain.from_iterable(rows)))


def _insert_rows(
    writer: _BatchWriter,
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[tuple[object, ...]],
    *,
    progress: Progress | None = None,
) -> None:
    """INSERT ``rows`` (database-ready values in ``columns`` order, by attribute name) in batches of BATCH_SIZE.
    Model fields not listed get their default, so a new column with a default needs no change here.

    Why not ``bulk_create``: measured on SQLite on this 2-core machine it wrote about 3,000 rows/s (per-value
    field preparation in Python, and at most 999 parameters per statement, i.e. ~50 rows per INSERT), so
    100,000 postings with their applications took minutes. The model's constraints are still the database's.
    """
    meta = model._meta
    listed = {meta.get_field(name).attname for name in columns}
    defaults: list[Field[object, object]] = [
        model_field
        for model_field in meta.concrete_fields
        if not model_field.primary_key and model_field.attname not in listed
    ]
    moment = timezone.now()
    default_values = tuple(
        model_field.get_db_prep_save(
            moment
            if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
            else model_field.get_default(),
            connection,
        )
        for model_field in defaults
    )
    quote = connection.ops.quote_name
    column_names = [quote(meta.get_field(name).column) for name in columns] + [quote(f.column) for f in defaults]
    insert = _Insert(f"INSERT INTO {quote(meta.db_table)} ({', '.join(column_names)}) VALUES ", len(column_names))
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row + default_values)
        if len(batch) == BATCH_SIZE:
            writer.submit(insert, batch)
            if progress is not None:
                progress(len(batch))
            batch = []
    if batch:
        writer.submit(insert, batch)
        if progress is not None:
            progress(len(batch))


def demo_data_exists() -> bool:
    return (
        Employer.objects.filter(external_id__startswith=EMPLOYER_PREFIX).exists()
        or Seeker.objects.filter(external_id__startswith=SEEKER_PREFIX).exists()
        or JobPosting.objects.filter(external_id__startswith=POSTING_PREFIX).exists()
        or Application.objects.filter(external_id__startswith=APPLICATION_PREFIX).exists()
    )


def delete_jobs_demo() -> dict[str, int]:
    """Delete the demo rows, children first (the foreign keys PROTECT). Audit rows stay: the log is
    append-only. A real row still pointing at a demo row makes this raise ``ProtectedError``."""
    deleted: dict[str, int] = {}
    for label, queryset in (
        ("applications", Application.objects.filter(external_id__startswith=APPLICATION_PREFIX)),
        ("postings", JobPosting.objects.filter(external_id__startswith=POSTING_PREFIX)),
        ("seekers", Seeker.objects.filter(external_id__startswith=SEEKER_PREFIX)),
        ("employers", Employer.objects.filter(external_id__startswith=EMPLOYER_PREFIX)),
    ):
        # only("pk"): the deletion collector loads the rows; their texts are not needed for that.
        deleted[label] = queryset.only("pk").delete()[1].get(queryset.model._meta.label, 0)
    return deleted


def generate_jobs_demo(
    *,
    postings: int,
    seed: int,
    now: dt.datetime,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> DemoCounts:
    """Create the demo employers, seekers, postings and applications; refuse if demo rows exist.

    ``progress`` is called with the number of postings and applications just written; ``on_total`` once,
    before writing, with how many there will be (the application count is only known after generating).
    Runs in a savepoint of the caller's transaction (the command's), or in its own.
    """
    if postings < 1:
        raise ValueError("postings must be at least 1.")
    if demo_data_exists():
        raise DemoDataExistsError("Demo data already exists (external ids emp-/sk-/post-/app-).")
    table = minimum_wage_table() if MinimumWage.objects.exists() else FALLBACK_MINIMUM_WAGE
    generator = _Generator(seed=seed, now=now, table=table)
    generator.make_employers(max(20, math.ceil(postings / 8)))
    generator.make_seekers(max(50, math.ceil(postings / 2)))
    generator.make_postings(postings)
    generator.order_postings_by_creation()
    generator.make_applications()
    if on_total is not None:
        on_total(len(generator.postings) + generator.application_total)
    # A savepoint when the caller is already in a transaction: the SQLite index rebuild below is DDL, and it
    # must roll back with the rows if anything fails.
    with (
        _large_sqlite_cache(),
        transaction.atomic(),
        _sqlite_indexes_built_after((Employer, Seeker, JobPosting, Application)),
    ):
        generator.write(_BatchWriter(), progress)
    return DemoCounts(
        employers=len(generator.employers),
        seekers=len(generator.seekers),
        postings=len(generator.postings),
        applications=generator.application_total,
        rule_breaking_postings=sum(1 for row in generator.postings if row.violation),
    )
