"""reports.charts: server-side SVG charts. Pure functions: no database, no I/O."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from reports.charts import DEFAULT_EMPTY_TEXT, PALETTE, Series, _nice_ticks, _text_width, bar_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"
DAYS = [f"11-{day:02d}" for day in range(1, 8)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg"
    return root


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in root.iter(f"{NS}{tag}") if cls in (el.get("class") or "").split()]


def visible_text(el: ET.Element) -> str:
    """The drawn text of a <text>, without a <title> child's tooltip."""
    return (el.text or "") + "".join(child.tail or "" for child in el)


def tooltip(el: ET.Element) -> str | None:
    title = el.find(f"{NS}title")
    return None if title is None else title.text


def tick_labels(root: ET.Element) -> list[str]:
    return [visible_text(el) for el in by_class(root, "text", "chart-tick")]


# --- line_chart -------------------------------------------------------------------------------------------


def test_line_chart_is_accessible_svg() -> None:
    svg = line_chart(
        x_labels=DAYS,
        series=[Series("승인", [3, 5, 8, 2, 0, 7, 12]), Series("지난주 승인", [1, 4, 6, 6, 2, 5, 9], dashed=True)],
        title="일별 승인",
        unit="건",
    )

    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("data-points") == "7"
    assert root.get("font-family") == "inherit"
    assert "bo-chart" in root.get("class").split()
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert (title.get("id"), title.text) == (title_id, "일별 승인")
    assert desc.get("id") == desc_id
    assert "11-01" in desc.text and "11-07" in desc.text and "12건" in desc.text
    assert root.find(f"{NS}style") is not None
    # A legend entry per series; the previous-period line is dashed, the current one is not.
    assert [visible_text(el) for el in root.iter(f"{NS}text") if el.get("class") is None] == ["승인", "지난주 승인"]
    lines = by_class(root, "path", "chart-line")
    assert [line.get("stroke-dasharray") for line in lines] == [None, "6 4"]
    # Per-point tooltips, in the "date · series: value" form.
    points = by_class(root, "circle", "chart-point")
    assert len(points) == 14
    assert "11-07 · 승인: 12건" in [tooltip(p) for p in points]


def test_line_chart_escapes_all_text() -> None:
    nasty = "<script>alert(1)</script> & co"
    svg = line_chart(
        x_labels=["<b>1</b>", "R&D"],
        series=[Series(nasty, [1, 2])],
        title=nasty,
        unit="&",
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "R&amp;D" in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f"{NS}title").text == nasty
    assert "R&D · " + nasty + ": 2&" in [tooltip(p) for p in by_class(root, "circle", "chart-point")]
    assert [visible_text(el) for el in by_class(root, "text", "chart-xlabel")] == ["<b>1</b>", "R&D"]


def test_none_splits_the_line_and_a_lone_value_keeps_a_visible_marker() -> None:
    root = parse(line_chart(x_labels=DAYS, series=[Series("a", [1, 2, None, 4, 5, None, 7])], title="t"))

    (line,) = by_class(root, "path", "chart-line")
    assert line.get("d").count("M") == 2  # two runs drawn, the lone 7 has no segment to draw
    assert len(by_class(root, "circle", "chart-point")) == 5
    assert not by_class(root, "circle", "chart-point-hover")  # a week is not dense: all markers stay visible
    # The hover column for the gap says there is no value rather than pretending 0.
    cols = by_class(root, "rect", "chart-col")
    assert tooltip(cols[2]) == "11-03\na: –"


def test_y_axis_ticks_are_round_with_separators() -> None:
    root = parse(line_chart(x_labels=DAYS[:3], series=[Series("a", [12, 1234, 800])], title="t"))

    assert tick_labels(root) == ["0", "500", "1,000", "1,500"]
    assert "11-02 · a: 1,234" in [tooltip(p) for p in by_class(root, "circle", "chart-point")]


def test_large_numbers_are_compact_on_the_axis_and_full_in_tooltips() -> None:
    series = [Series("매출", [0, 98_765, 40_000])]
    with translation.override("en"):
        english = parse(line_chart(x_labels=DAYS[:3], series=series, title="t"))
    with translation.override("ko"):
        korean = parse(line_chart(x_labels=DAYS[:3], series=series, title="t", unit="원"))

    assert tick_labels(english) == ["0", "25K", "50K", "75K", "100K"]
    assert tick_labels(korean) == ["0", "2.5만", "5만", "7.5만", "10만"]
    assert "11-02 · 매출: 98,765원" in [tooltip(p) for p in by_class(korean, "circle", "chart-point")]
    assert [visible_text(el) for el in by_class(korean, "text", "chart-unit")] == ["(원)"]


def test_y_format_is_used_for_ticks_and_tooltips() -> None:
    root = parse(
        line_chart(x_labels=DAYS[:2], series=[Series("rate", [0.25, 0.8])], title="t", y_format=lambda v: f"{v:.0%}")
    )

    assert tick_labels(root) == ["0%", "20%", "40%", "60%", "80%"]
    assert "11-02 · rate: 80%" in [tooltip(p) for p in by_class(root, "circle", "chart-point")]


@pytest.mark.parametrize(
    ("lo", "hi", "integer"),
    [
        (0, 7, True),
        (0, 10, True),
        (0, 37, True),
        (3, 1234, True),
        (0, 98_765, True),
        (0, 2_500_000, True),
        (0, 0.8, False),
        (0.1, 0.37, False),
        (-30, 50, True),
        (-120, -5, True),
    ],
)
def test_nice_ticks_are_round_and_include_zero(lo: float, hi: float, integer: bool) -> None:
    ticks = _nice_ticks(lo, hi, integer=integer)

    assert 4 <= len(ticks) <= 5
    assert 0 in ticks
    assert ticks[0] <= lo and ticks[-1] >= hi
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    (step,) = steps
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in {1, 2, 2.5, 5}
    if integer:
        assert all(float(t).is_integer() for t in ticks)


def test_small_counts_never_get_fractional_ticks() -> None:
    assert _nice_ticks(0, 1, integer=True) == (0, 1)
    assert _nice_ticks(0, 3, integer=True) == (0, 1, 2, 3)


def test_ninety_days_of_x_labels_are_thinned_without_overlap() -> None:
    start = dt.date(2024, 8, 27)
    labels = [(start + dt.timedelta(days=i)).strftime("%m-%d") for i in range(90)]
    values = [float(i % 17) for i in range(90)]
    root = parse(line_chart(x_labels=labels, series=[Series("승인", values)], title="90일"))

    assert root.get("data-points") == "90"
    shown = by_class(root, "text", "chart-xlabel")
    assert 5 <= len(shown) < 30
    assert visible_text(shown[-1]) == labels[-1]  # the newest date is always labelled
    xs = [float(el.get("x")) for el in shown]
    width = _text_width("11-24", 11)
    assert all(b - a >= width for a, b in itertools.pairwise(xs))
    assert len({round(b - a, 1) for a, b in itertools.pairwise(xs)}) <= 2  # regular spacing (rounding)
    # Every day keeps its tooltip; on a dense chart markers only show on hover.
    points = by_class(root, "circle", "chart-point")
    assert len(points) == 90
    assert all("chart-point-hover" in p.get("class") for p in points)
    assert len(by_class(root, "rect", "chart-col")) == 90


def test_data_points_changes_with_the_period() -> None:
    week = parse(line_chart(x_labels=DAYS, series=[Series("a", [1] * 7)], title="t"))
    month = parse(line_chart(x_labels=[str(i) for i in range(30)], series=[Series("a", [1] * 30)], title="t"))

    assert (week.get("data-points"), month.get("data-points")) == ("7", "30")


def test_eight_series_get_eight_distinct_colours() -> None:
    series = [Series(f"s{i}", [i + 1, i + 2]) for i in range(8)]
    root = parse(line_chart(x_labels=["a", "b"], series=series, title="t"))

    strokes = [line.get("stroke") for line in by_class(root, "path", "chart-line")]
    assert strokes == list(PALETTE)
    assert len(set(PALETTE)) == 8
    # Past the palette, a repeated colour gets a dash pattern so lines still differ.
    ninth = parse(line_chart(x_labels=["a", "b"], series=[*series, Series("s8", [1, 2])], title="t"))
    lines = by_class(ninth, "path", "chart-line")
    assert lines[8].get("stroke") == lines[0].get("stroke")
    assert lines[8].get("stroke-dasharray") is not None


@pytest.mark.parametrize(
    "series",
    [[], [Series("a", [None] * 7)], [Series("a", [0] * 7), Series("b", [None, 0, 0, None, 0, 0, 0])]],
    ids=["no series", "all none", "all zero"],
)
def test_line_chart_without_data_says_so(series: list[Series]) -> None:
    root = parse(line_chart(x_labels=DAYS, series=series, title="일별 승인"))

    assert root.get("data-points") == "0"
    assert "bo-chart-empty" in root.get("class")
    assert [visible_text(el) for el in by_class(root, "text", "chart-empty-text")] == [str(DEFAULT_EMPTY_TEXT)]
    assert not by_class(root, "path", "chart-line")
    assert root.get("aria-labelledby")


def test_empty_text_can_be_replaced_and_is_escaped() -> None:
    root = parse(line_chart(x_labels=[], series=[], title="t", empty_text="<아직> 데이터 없음 & 끝"))

    assert [visible_text(el) for el in by_class(root, "text", "chart-empty-text")] == ["<아직> 데이터 없음 & 끝"]


def test_series_length_must_match_labels() -> None:
    with pytest.raises(ValueError, match="3 values for 7 labels"):
        line_chart(x_labels=DAYS, series=[Series("a", [1, 2, 3])], title="t")


def test_ids_are_stable_for_equal_input_and_differ_otherwise() -> None:
    first = parse(line_chart(x_labels=DAYS[:2], series=[Series("a", [1, 2])], title="t"))
    again = parse(line_chart(x_labels=DAYS[:2], series=[Series("a", [1, 2])], title="t"))
    other = parse(line_chart(x_labels=DAYS[:2], series=[Series("a", [1, 3])], title="t"))
    chosen = parse(line_chart(x_labels=DAYS[:2], series=[Series("a", [1, 3])], title="t", chart_id="weekly"))

    assert first.get("aria-labelledby") == again.get("aria-labelledby") != other.get("aria-labelledby")
    assert chosen.get("aria-labelledby") == "weekly-title weekly-desc"


def test_series_is_frozen_and_keeps_values_as_a_tuple() -> None:
    series = Series("a", [1, None])

    assert series.values == (1, None)
    with pytest.raises(AttributeError):
        series.label = "b"  # type: ignore[misc]


# --- bar_chart --------------------------------------------------------------------------------------------

LONG = "서울특별시 강남구 역삼동 물류센터 주간 상하차 아르바이트 모집 (주 5일, 야간 수당 별도)"


def test_bar_chart_korean_labels_are_truncated_with_full_text_in_title() -> None:
    svg = bar_chart(
        labels=[LONG, "부산", "A&B <c>"],
        series=[Series("지원", [120, 34, None]), Series("지난달", [80, 50, 7], dashed=True)],
        title="지역별 지원",
        unit="건",
    )

    root = parse(svg)
    assert root.get("data-points") == "3"
    assert "bo-chart-bar" in root.get("class")
    row_labels = by_class(root, "text", "chart-label")
    assert len(row_labels) == 3
    shown = visible_text(row_labels[0])
    assert shown.endswith("…") and LONG.startswith(shown[:-1]) and len(shown) < len(LONG)
    assert _text_width(shown, 11) <= 720 * 0.3
    assert tooltip(row_labels[0]) == LONG
    assert [visible_text(el) for el in row_labels[1:]] == ["부산", "A&B <c>"]
    assert tooltip(row_labels[1]) is None  # short labels are not truncated and need no tooltip
    bars = by_class(root, "rect", "chart-bar")
    assert len(bars) == 5  # the missing value draws no bar
    assert tooltip(bars[0]) == f"{LONG} · 지원: 120건"
    assert bars[1].get("stroke-dasharray") == "6 4"  # previous period: dashed outline
    values = [visible_text(el) for el in by_class(root, "text", "chart-value")]
    assert values == ["120건", "80건", "34건", "50건", "–", "7건"]
    assert tick_labels(root) == ["0", "50", "100", "150"]


def test_bar_chart_bars_share_a_zero_baseline_and_scale() -> None:
    root = parse(bar_chart(labels=["a", "b"], series=[Series("n", [50, 100])], title="t"))

    first, second = by_class(root, "rect", "chart-bar")
    assert first.get("x") == second.get("x")
    assert float(second.get("width")) == pytest.approx(2 * float(first.get("width")), abs=0.2)


def test_bar_chart_height_grows_with_labels() -> None:
    def height(count: int) -> float:
        labels = [f"지역 {i}" for i in range(count)]
        root = parse(bar_chart(labels=labels, series=[Series("n", range(1, count + 1))], title="t"))
        return float(root.get("height"))

    assert height(3) < height(10) < height(30)


def test_vertical_bar_chart() -> None:
    root = parse(
        bar_chart(
            labels=["월", "화", "수", "목", "금"],
            series=[Series("지원", [12_000, 34_000, 5_000, 0, 22_000])],
            title="요일별",
            horizontal=False,
        )
    )

    assert root.get("data-points") == "5"
    assert len(by_class(root, "rect", "chart-bar")) == 5
    assert [visible_text(el) for el in by_class(root, "text", "chart-xlabel")] == ["월", "화", "수", "목", "금"]
    assert tick_labels(root) == ["0", "10K", "20K", "30K", "40K"]


def test_bar_chart_without_data_and_escaping() -> None:
    empty = parse(bar_chart(labels=["a"], series=[Series("n", [0])], title="<t>"))
    assert empty.get("data-points") == "0"
    assert empty.find(f"{NS}title").text == "<t>"

    svg = bar_chart(labels=["<script>x</script>"], series=[Series("&", [1])], title="t")
    assert "<script>" not in svg
    bar = by_class(parse(svg), "rect", "chart-bar")[0]
    assert tooltip(bar) == "<script>x</script> · &: 1"


def test_bar_chart_handles_negative_values() -> None:
    root = parse(bar_chart(labels=["a", "b"], series=[Series("변화", [-30, 50])], title="t"))

    assert tick_labels(root) == ["-50", "-25", "0", "25", "50"]
    negative, positive = by_class(root, "rect", "chart-bar")
    zero = float(negative.get("x")) + float(negative.get("width"))
    assert float(positive.get("x")) == pytest.approx(zero, abs=0.2)


def test_lazy_translated_text_is_accepted() -> None:
    root = parse(
        line_chart(x_labels=DAYS[:2], series=[Series(gettext_lazy("Approved"), [1, 2])], title=gettext_lazy("Daily"))
    )

    assert root.find(f"{NS}title").text == "Daily"
    assert "11-02 · Approved: 2" in [tooltip(p) for p in by_class(root, "circle", "chart-point")]
