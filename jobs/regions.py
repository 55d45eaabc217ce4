"""Regions the marketplace serves, by 10-digit 법정동 code (first 5 digits: 시군구).

A curated subset for display names and demo data; a code not listed here is still valid (the marketplace
owns the full table), it is only shown without a name.
"""

from __future__ import annotations

from typing import Final

# 법정동 code -> (시도, 시군구, 동)
REGIONS: Final[dict[str, tuple[str, str, str]]] = {
    "1111010100": ("서울특별시", "종로구", "청운동"),
    "1114010300": ("서울특별시", "중구", "명동"),
    "1117010100": ("서울특별시", "용산구", "후암동"),
    "1120010100": ("서울특별시", "성동구", "상왕십리동"),
    "1121510100": ("서울특별시", "광진구", "중곡동"),
    "1144012400": ("서울특별시", "마포구", "서교동"),
    "1147010100": ("서울특별시", "양천구", "신정동"),
    "1150010400": ("서울특별시", "강서구", "화곡동"),
    "1156013200": ("서울특별시", "영등포구", "여의도동"),
    "1162010100": ("서울특별시", "관악구", "봉천동"),
    "1165010800": ("서울특별시", "서초구", "서초동"),
    "1168010100": ("서울특별시", "강남구", "역삼동"),
    "1168010600": ("서울특별시", "강남구", "대치동"),
    "1171010100": ("서울특별시", "송파구", "잠실동"),
    "1174010900": ("서울특별시", "강동구", "천호동"),
    "2611010100": ("부산광역시", "중구", "영주동"),
    "2635010500": ("부산광역시", "해운대구", "우동"),
    "2723010100": ("대구광역시", "북구", "침산동"),
    "2817710100": ("인천광역시", "미추홀구", "숭의동"),
    "2920011100": ("광주광역시", "광산구", "송정동"),
    "3017011200": ("대전광역시", "서구", "둔산동"),
    "4113510900": ("경기도", "성남시 분당구", "정자동"),
    "4111713000": ("경기도", "수원시 영통구", "매탄동"),
    "4128710100": ("경기도", "고양시 일산동구", "식사동"),
    "4146510100": ("경기도", "용인시 수지구", "풍덕천동"),
    "5011010100": ("제주특별자치도", "제주시", "일도일동"),
}

# 시군구 (first five digits) -> display name, for filters that group neighbourhoods.
DISTRICTS: Final[dict[str, str]] = {code[:5]: f"{sido} {sigungu}" for code, (sido, sigungu, _dong) in REGIONS.items()}


def region_name(code: str) -> str:
    """'서울특별시 강남구 역삼동' for a known code, the code itself otherwise."""
    parts = REGIONS.get(code)
    if parts is None:
        district = DISTRICTS.get(code[:5])
        return f"{district} ({code})" if district else code
    return " ".join(parts)


# 시도 (first two digits) -> name: the region dimension of the report pages. Both codes of the provinces that
# became special self-governing provinces (강원 42 -> 51 in 2023, 전북 45 -> 52 in 2024) are listed, since
# older rows keep the old code.
PROVINCES: Final[dict[str, str]] = {
    "11": "서울특별시",
    "26": "부산광역시",
    "27": "대구광역시",
    "28": "인천광역시",
    "29": "광주광역시",
    "30": "대전광역시",
    "31": "울산광역시",
    "36": "세종특별자치시",
    "41": "경기도",
    "42": "강원도",
    "43": "충청북도",
    "44": "충청남도",
    "45": "전라북도",
    "46": "전라남도",
    "47": "경상북도",
    "48": "경상남도",
    "50": "제주특별자치도",
    "51": "강원특별자치도",
    "52": "전북특별자치도",
}


def province_name(code: str) -> str:
    return PROVINCES.get(code[:2], code)
