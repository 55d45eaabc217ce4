"""Requirements unrelated to the job (P3): age, gender, appearance, marital status, origin and family.

Each pattern looks for a *requirement*, not a mention: an age with a limit ("30대까지", "만 40세 이하",
"20~35세"), a gender with "만/우대/선호" or a hiring verb ("여성만", "남자 직원 구합니다"), a height with a bound.
So the honest texts stay clean (DOMAIN.md): "나이 무관", "여성 의류 매장", "20대 여성 고객이 많은 카페",
"젊은 분위기", "만 18세 이상" (a legal floor for minors), "7~12세 아동 돌봄" (the children cared for),
"미혼모 쉼터". Ages are checked as numbers: a limit that excludes adults (20–59) is a finding, a floor that
excludes minors is the law.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from moderation.models import RuleKind
from moderation.rules.base import Config, ConfigError, Evaluator, Hit, PostingView, Span, register

MAX_SPANS = 20
CATEGORIES = ("age", "gender", "appearance", "marital", "origin")

_GENDER = r"(?:여성|여자|남성|남자|여직원|남직원|여학생|남학생)"
_PERSON = r"(?:분|직원|알바생?|스태프|근무자|사원|아르바이트생?|인력|크루|매니저)"
_HIRE = r"(?:모집|구함|구합니다|구해요|구인|채용|뽑습니다|뽑아요|찾습니다|찾아요|급구)"
# After a gender word, these make it the customers or the goods, not the staff ("여성 의류", "남성 고객").
_CUSTOMER = (
    r"(?:의류|옷|패션|고객|손님|회원|전용|브랜드|화장품|용품|속옷|헤어|미용|화장실|"
    r"타겟|대상|층|쇼핑몰|환자|이용객|어르신)"
)
# "만" as "only", not the start of a word (만족, 만큼, 만원).
_ONLY = r"만(?![족큼원나들세점능두])"

_PATTERNS: dict[str, tuple[str, ...]] = {
    "age": (
        # 20~35세, 20세-35세, 만 25~39세
        r"(?P<range>(?:만\s*)?(?P<r1>\d{1,2})\s*(?:세|살)?\s*[~\-–∼〜]\s*(?P<r2>\d{1,2})\s*(?:세|살))",
        # 만 40세 이하, 35세 미만, 39살까지
        r"(?P<upper>(?:만\s*)?(?P<u1>\d{2})\s*(?:세|살)\s*(?:이하|미만|까지|이내|以下))",
        # 30대까지, 20대만, 20~30대 선호, 20대 초중반 여성 선호
        rf"(?P<decade>(?P<d1>\d)0\s*대\s*(?:[~\-]\s*(?P<d2>\d)0\s*대\s*)?(?:초중반|중후반|초반|중반|후반)?\s*"
        rf"(?:{_GENDER}\s*(?:분\s*)?)?(?:{_ONLY}|까지|이하|미만|한정|위주|선호|우대))",
        # (20대 여성): an age and a gender as the target, unless customers or goods follow
        rf"(?P<decade_gender>(?P<g1>\d)0\s*대\s*(?:초중반|초반|중반|후반)?\s*{_GENDER}(?!\s*(?:분\s*)?{_CUSTOMER}))",
        # 90년생까지, 1985년생 이후
        r"(?P<birth>\d{2,4}\s*년생\s*(?:이후|이하|이상|까지|부터|만))",
        r"(?P<young>젊(?:은|고)\s*(?:분(?!위기)|사람|친구|남자|여자|남성|여성|직원|인재|청년|피))",
    ),
    "gender": (
        rf"(?P<gender_only>{_GENDER}\s*(?:분\s*)?(?:{_ONLY}|only|한정|우대|선호|환영)(?!\s*{_CUSTOMER}))",
        rf"(?P<gender_hire>{_GENDER}\s*{_PERSON}?\s*(?:을|를|{_ONLY}|으로)?\s*(?:\d+\s*명\s*)?{_HIRE})",
    ),
    "appearance": (
        r"(?P<looks>용모\s*(?:가\s*)?(?:단정|깔끔|준수|좋은|확인))",
        r"(?P<height>(?:키|신장)\s*(?:가\s*)?\d{3}\s*(?:cm|센티|㎝)?\s*(?:이상|이하|미만|넘|↑))",
        r"(?P<weight>(?:몸무게|체중)\s*(?:가\s*)?\d{2,3}\s*(?:kg|킬로|㎏)?\s*(?:이하|미만|이상|까지))",
        r"(?P<face>외모\s*(?:가\s*)?(?:단정|준수|좋은|우수|중요|필수|자신|호감)|호감형\s*(?:외모|인상))",
        r"(?P<pretty>(?:예쁜|이쁜|잘생긴|날씬한|슬림한)\s*(?:분|여성|남성|여자|남자|직원|외모|체형))",
        r"(?P<photo>(?:전신|얼굴)\s*사진)",
    ),
    "marital": (
        r"(?P<single>미혼(?!모|부|\s*자녀|\s*한부모))",
        r"(?P<married>기혼\s*(?:자|여성|남성)?\s*(?:만|우대|선호|불가|제외))",
        r"(?P<plans>(?:결혼|임신|출산)\s*(?:여부|계획))",
        r"(?P<status>(?:싱글|돌싱|이혼)\s*(?:만|우대|선호|불가))",
    ),
    "origin": (
        r"(?P<family>(?:부모님?|가족)\s*(?:의\s*)?(?:직업|재산|학력))",
        r"(?P<region>(?:출신지|출신\s*지역|고향)\s*(?:우대|불가|제한|사절|기재)|"
        r"(?:서울|경기|강원|충청|충남|충북|전라|전남|전북|호남|경상|경남|경북|영남|제주|지방)\s*출신\s*"
        r"(?:우대|불가|사절|한정|만))",
        r"(?P<ethnic>(?:조선족|중국\s*동포|교포)\s*(?:사절|불가|제외|안\s*됨))",
    ),
}


# Cheap tests per category (literal alternatives, or a digit first, which the regex engine scans for quickly):
# the detailed patterns run only on texts that could match them.
_TRIGGERS: dict[str, re.Pattern[str]] = {
    # A digit first (no "|젊" alternative here: it would stop the engine's fast scan for digits).
    "age": re.compile(r"\d\s*(?:세|살|대|년생)"),
    "gender": re.compile("여성|여자|남성|남자|여직원|남직원|여학생|남학생"),
    "appearance": re.compile("용모|키|신장|몸무게|체중|외모|호감형|예쁜|이쁜|잘생긴|날씬|슬림|전신|얼굴"),
    "marital": re.compile("미혼|기혼|결혼|임신|출산|싱글|돌싱|이혼"),
    "origin": re.compile("부모|가족|출신|고향|조선족|동포|교포"),
}


@register
class DiscriminationEvaluator(Evaluator):
    kind = RuleKind.DISCRIMINATION
    example_config = {"categories": list(CATEGORIES), "age_limit_below": 60}

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        reader = Config(config, ("categories", "age_limit_below", "fields"))
        categories = reader.strings("categories") or list(CATEGORIES)
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            raise ConfigError(f'"categories" may only name: {", ".join(CATEGORIES)}.')
        self.categories = tuple(categories)
        # An upper age limit below this excludes working-age adults (a limit of 65+ is about retirement).
        self.age_limit_below = int(reader.number("age_limit_below", 60, minimum=20, maximum=100, integer=True))
        self.fields = reader.fields()
        # One pattern per category, so "젊은 남자 직원 구합니다" is reported as both age and gender.
        self.patterns = [
            (category, _TRIGGERS[category], re.compile("|".join(_PATTERNS[category]), re.IGNORECASE))
            for category in self.categories
        ]

    def _age_is_a_limit(self, match: re.Match[str]) -> bool:
        groups = match.groupdict()
        if groups.get("range"):
            low, high = int(groups["r1"]), int(groups["r2"])
            # "7~12세 아동", "15~18세 청소년": the people served, not the applicants.
            return low >= 15 and high >= 20 and (high < self.age_limit_below or low > 20)
        if groups.get("upper"):
            return 20 <= int(groups["u1"]) < self.age_limit_below
        if groups.get("decade"):
            decade = int(groups["d2"] or groups["d1"]) * 10
            return 20 <= decade < self.age_limit_below
        if groups.get("decade_gender"):
            return 2 <= int(groups["g1"]) <= 5
        return True

    def evaluate(self, view: PostingView) -> Hit | None:
        spans: list[Span] = []
        found: list[dict[str, str]] = []
        for field_text in view.fields:
            if field_text.name not in self.fields:
                continue
            clean = field_text.clean
            for category, trigger, pattern in self.patterns:
                if trigger.search(clean.text) is None and not (category == "age" and "젊" in clean.text):
                    continue
                for match in pattern.finditer(clean.text):
                    if category == "age" and not self._age_is_a_limit(match):
                        continue
                    span = field_text.span(clean, match.start(), match.end())
                    spans.append(span)
                    found.append({"category": category, "phrase": span.text})
        if not spans:
            return None
        spans.sort(key=lambda span: (span.field != "title", span.start))
        categories = sorted({item["category"] for item in found})
        return Hit(
            summary=_("Requirement unrelated to the job (%(categories)s): %(phrases)s")
            % {"categories": ", ".join(categories), "phrases": ", ".join(dict.fromkeys(s.text for s in spans))},
            spans=tuple(spans[:MAX_SPANS]),
            numbers={"matches": len(spans)},
            details={"categories": categories, "matches": found[:MAX_SPANS]},
        )
