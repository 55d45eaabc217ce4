"""Server-side SVG charts for the admin report pages.

Why inline SVG built in Python: the back-office has no front-end build and must work without a CDN, and
report numbers are computed (and cached) on the server anyway. An inline ``<svg>`` inherits the page font
(the admin theme's font has Hangul glyphs; SVG ``font-family`` defaults would not), scales with the layout,
prints, needs no JavaScript, and is read by screen readers through ``role="img"`` with ``<title>`` and
``<desc>``.

Page integration
----------------
Put the returned markup straight into a template (``{{ chart }}``; it is already marked safe, every piece
of caller text is escaped here). Each chart carries a small ``<style>`` scoped to ``.bo-chart`` so nothing is
required from the page; a page may override these classes:

``bo-chart`` (root, plus ``bo-chart-line`` / ``bo-chart-bar`` / ``bo-chart-empty``), ``chart-title``,
``chart-legend``, ``chart-tick`` (axis numbers), ``chart-unit``, ``chart-xlabel``, ``chart-label`` (bar row
labels), ``chart-value`` (value at a bar end), ``chart-grid``, ``chart-axis`` (zero line), ``chart-line``,
``chart-point`` (``chart-point-hover``: only shown on hover), ``chart-col`` (hover column of a line chart),
``chart-bar``, ``chart-empty-text``.

The chart draws its own white background, so the colour-blind-safe palette below always sits on white even if
the admin is in dark mode. A page that shows its own heading can hide the built-in one with
``.bo-chart .chart-title{display:none}``.

Words used in ``<desc>`` go through gettext; their msgids are the ``gettext(...)`` strings below.
"""

from __future__ import annotations

import hashlib
import html
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

__all__ = ["DEFAULT_EMPTY_TEXT", "PALETTE", "Series", "bar_chart", "line_chart"]

# Okabe & Ito's palette (distinguishable with every common colour-vision deficiency), ordered so the first
# few series get the strongest contrast on white. Their yellow (#F0E442) is unreadable on white and is
# replaced by a mid grey, which stays apart from the hues because it differs in lightness and saturation.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#7A7A7A",  # grey
)

DEFAULT_EMPTY_TEXT = _("No data for this period")

# Dash patterns: "previous period" lines are dashed; past 8 series the palette repeats, so the repeat gets a
# dotted pattern and still differs by more than colour.
_DASHED = "6 4"
_DOTTED = "1.5 3"
_DASHED_DOTTED = "6 3 1.5 3"

_FONT = 11  # px: axis, legend and label text
_TITLE_FONT = 13
_PAD = 8  # outer margin
_MIN_PLOT_HEIGHT = 60
_X_LABEL_GAP = 8  # minimum free space between two x-axis labels
_LEGEND_ROW = 18
_LEGEND_LABEL_MAX = 200  # px; longer series names are shortened (full name in a <title>)
_BAR_LABEL_SHARE = 0.3  # at most this share of the width goes to the labels of a horizontal bar chart
_VERTICAL_BAR_HEIGHT = 240
_DENSE_POINTS = 31  # above this many x positions, point markers only show on hover (a month of days stays visible)
_SVG_NS = "http://www.w3.org/2000/svg"

_STYLE = (
    ".bo-chart{font-family:inherit;max-width:100%;height:auto}"
    ".bo-chart text{font-family:inherit;fill:#333}"
    ".bo-chart .chart-title{font-size:13px;font-weight:600;fill:#1a1a1a}"
    ".bo-chart .chart-tick,.bo-chart .chart-xlabel,.bo-chart .chart-unit{fill:#595959}"
    ".bo-chart .chart-grid{stroke:#e5e5e5}"
    ".bo-chart .chart-axis{stroke:#8c8c8c}"
    ".bo-chart .chart-col{fill:#000;fill-opacity:0}"
    ".bo-chart .chart-col:hover{fill-opacity:.05}"
    ".bo-chart .chart-point-hover{opacity:0}"
    ".bo-chart .chart-point-hover:hover{opacity:1}"
    ".bo-chart .chart-bar:hover{opacity:.8}"
    ".bo-chart .chart-empty-text{fill:#6b6b6b}"
)


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of numbers.

    ``values`` line up with the chart's labels; ``None`` means "no data" (a gap in a line, no bar), which is
    different from ``0``. ``dashed`` marks a comparison series such as the previous period: dashed line, or a
    pale bar with a dashed outline, so it differs from the current period by more than colour.
    """

    label: str
    values: Sequence[float | None]
    dashed: bool = False

    def __post_init__(self) -> None:
        # A tuple keeps the frozen dataclass really immutable (and hashable) when a list is passed.
        object.__setattr__(self, "values", tuple(self.values))


# --- public API -------------------------------------------------------------------------------------------


def line_chart(
    *,
    x_labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    unit: str = "",
    width: int = 720,
    height: int = 240,
    y_format: Callable[[float], str] | None = None,
    empty_text: str = DEFAULT_EMPTY_TEXT,
    chart_id: str | None = None,
) -> SafeString:
    """A line chart, one line per series, over ``x_labels`` (typically dates such as ``"11-24"``).

    ``unit`` is appended to values in tooltips (``"12건"``; include a leading space if the language wants one)
    and shown as ``(unit)`` above the y axis. ``y_format`` formats a bare number everywhere (ticks, tooltips,
    description); by default integers get thousands separators and axis ticks from 10,000 up a compact form
    (``2.5만`` in Korean, ``25K`` otherwise). ``height`` grows if a wrapping legend would squeeze the plot.
    ``chart_id`` prefixes the ids of ``<title>``/``<desc>``; by default it is derived from the data, so equal
    input gives equal output (cache-friendly). Non-finite values count as ``None``.

    Raises ``ValueError`` if a series does not have one value per x label: a silent shift would plot numbers
    on the wrong dates.
    """
    title = str(title)
    labels = [str(label) for label in x_labels]
    rows = _clean_series(series, len(labels))
    cid = chart_id or _chart_id("line", title, labels, rows)
    if not labels or not _has_data(rows):
        return _empty_chart(cid=cid, width=width, title=title, empty_text=empty_text)

    values = [v for _, vals in rows for v in vals if v is not None]
    ticks = _nice_ticks(min(values), max(values), integer=all(v.is_integer() for v in values))
    value_text, tick_text = _formatters(y_format, ticks, unit)
    tick_labels = [tick_text(t) for t in ticks]

    body: list[str] = []
    top = _title_and_legend(body, title=title, rows=rows, width=width, kind="line")
    plot_top = top + (16 if unit else 8)
    bottom_space = _FONT + 10
    total_height = max(height, plot_top + _MIN_PLOT_HEIGHT + bottom_space + _PAD)
    plot_bottom = total_height - _PAD - bottom_space

    count = len(labels)
    x_label_width = max(_text_width(label, _FONT) for label in labels)
    y_label_width = max(_text_width(text, _FONT) for text in tick_labels)
    plot_left = _PAD + max(y_label_width + 8, x_label_width / 2)
    plot_right = max(plot_left + 40, width - _PAD - max(x_label_width / 2, 4))
    if count == 1:
        xs = [(plot_left + plot_right) / 2]
        spacing = plot_right - plot_left
    else:
        spacing = (plot_right - plot_left) / (count - 1)
        xs = [plot_left + i * spacing for i in range(count)]

    def y_of(value: float) -> float:
        return _position(value, ticks, plot_bottom, plot_top)

    _y_axis(body, ticks, tick_labels, y_of, plot_left, plot_right, unit=unit)

    # x labels: one stride for all so the spacing is regular, counted back from the newest label, which a
    # report reader looks for first.
    stride = _label_stride(spacing, x_label_width) if count > 1 else 1
    label_y = plot_bottom + _FONT + 6
    body.append('<g class="chart-xlabels">')
    for i in _thinned_indices(count, stride):
        body.append(_tag("text", escape(labels[i]), x=xs[i], y=label_y, text_anchor="middle", class_="chart-xlabel"))
    body.append("</g>")

    # Hover columns: one transparent band per x position whose tooltip lists every series at that position,
    # so dense charts stay readable without aiming at a 3px point.
    body.append('<g class="chart-cols">')
    for i, x in enumerate(xs):
        left = max(plot_left, x - spacing / 2)
        right = min(plot_right, x + spacing / 2) if count > 1 else plot_right
        lines = [labels[i]] + [f"{s.label}: {_value_or_dash(vals[i], value_text)}" for s, vals in rows]
        body.append(
            _tag(
                "rect",
                _title("\n".join(lines)),
                x=left,
                y=plot_top,
                width=max(right - left, 1.0),
                height=plot_bottom - plot_top,
                fill="#000",
                fill_opacity="0",
                class_="chart-col",
            )
        )
    body.append("</g>")

    dense = count > _DENSE_POINTS
    for index, (s, vals) in enumerate(rows):
        colour, dash = _series_style(index, s)
        segments = _segments(vals)
        body.append(f'<g class="chart-series chart-series-{index}">')
        path = " ".join(
            "M" + " L".join(f"{_n(xs[i])},{_n(y_of(v))}" for i, v in segment)
            for segment in segments
            if len(segment) > 1
        )
        if path:
            body.append(
                _tag(
                    "path",
                    d=path,
                    fill="none",
                    stroke=colour,
                    stroke_width="2",
                    stroke_linejoin="round",
                    stroke_linecap="round",
                    stroke_dasharray=dash,
                    pointer_events="none",
                    class_="chart-line",
                )
            )
        for segment in segments:
            solo = len(segment) == 1  # a lone value draws no line: its marker must always be visible
            for i, v in segment:
                tooltip = f"{labels[i]} · {s.label}: {value_text(v)}"
                body.append(
                    _tag(
                        "circle",
                        _title(tooltip),
                        cx=xs[i],
                        cy=y_of(v),
                        r="3.5" if dense else "3",
                        fill=colour,
                        stroke="#fff",
                        stroke_width="1",
                        class_="chart-point chart-point-hover" if dense and not solo else "chart-point",
                    )
                )
        body.append("</g>")

    desc = _line_description(labels, rows, value_text)
    return _svg(kind="line", cid=cid, width=width, height=total_height, title=title, desc=desc, points=count, body=body)


def bar_chart(
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    unit: str = "",
    width: int = 720,
    y_format: Callable[[float], str] | None = None,
    horizontal: bool = True,
    empty_text: str = DEFAULT_EMPTY_TEXT,
    chart_id: str | None = None,
) -> SafeString:
    """Grouped bars: one group per label, one bar per series, the value written at the end of each bar.

    Horizontal (the default) because category names here are long Korean strings (regions, postings,
    employers) that fit beside a bar but not under a column; the height grows with the number of labels.
    Labels wider than ~30% of the chart are shortened with an ellipsis, the full text in a ``<title>``.
    ``horizontal=False`` draws columns 240px high, with x labels thinned like a line chart's. ``unit``,
    ``y_format``, ``empty_text`` and ``chart_id`` behave as in :func:`line_chart`.
    """
    title = str(title)
    names = [str(label) for label in labels]
    rows = _clean_series(series, len(names))
    cid = chart_id or _chart_id("bar" if horizontal else "column", title, names, rows)
    if not names or not _has_data(rows):
        return _empty_chart(cid=cid, width=width, title=title, empty_text=empty_text)

    values = [v for _, vals in rows for v in vals if v is not None]
    ticks = _nice_ticks(min(values), max(values), integer=all(v.is_integer() for v in values))
    value_text, tick_text = _formatters(y_format, ticks, unit)
    draw = _horizontal_bars if horizontal else _vertical_bars
    body, total_height = draw(names, rows, title, unit, width, ticks, value_text, tick_text)
    desc = _bar_description(names, rows, value_text)
    return _svg(
        kind="bar", cid=cid, width=width, height=total_height, title=title, desc=desc, points=len(names), body=body
    )


# --- bar layouts ------------------------------------------------------------------------------------------


def _horizontal_bars(
    names: list[str],
    rows: list[tuple[Series, tuple[float | None, ...]]],
    title: str,
    unit: str,
    width: int,
    ticks: tuple[float, ...],
    value_text: Callable[[float], str],
    tick_text: Callable[[float], str],
) -> tuple[list[str], float]:
    body: list[str] = []
    top = _title_and_legend(body, title=title, rows=rows, width=width, kind="bar")
    n_series = len(rows)
    bar_height = 14.0 if n_series <= 2 else 10.0
    bar_gap = 2.0
    row_pad = 10.0
    row_height = n_series * bar_height + (n_series - 1) * bar_gap + row_pad

    label_width = min(max(_text_width(name, _FONT) for name in names), width * _BAR_LABEL_SHARE)
    value_width = max(_text_width(value_text(v) if v is not None else "–", _FONT) for _, vals in rows for v in vals) + 6
    tick_labels = [tick_text(t) for t in ticks]
    tick_half = max(_text_width(text, _FONT) for text in tick_labels) / 2
    negative = ticks[0] < 0
    label_right = _PAD + label_width
    plot_left = label_right + 8 + (value_width if negative else 0)
    plot_right = max(plot_left + 40, width - _PAD - max(value_width, tick_half))
    plot_top = top + 4
    plot_bottom = plot_top + len(names) * row_height
    total_height = plot_bottom + _FONT + 10 + _PAD

    def x_of(value: float) -> float:
        return _position(value, ticks, plot_left, plot_right)

    body.append('<g class="chart-grid-lines">')
    for tick, text in zip(ticks, tick_labels, strict=True):
        x = x_of(tick)
        cls = "chart-axis" if tick == 0 else "chart-grid"
        stroke = "#8c8c8c" if tick == 0 else "#e5e5e5"
        body.append(_tag("line", x1=x, y1=plot_top, x2=x, y2=plot_bottom, stroke=stroke, class_=cls))
        body.append(
            _tag("text", escape(text), x=x, y=plot_bottom + _FONT + 6, text_anchor="middle", class_="chart-tick")
        )
    body.append("</g>")
    # No "(unit)" label here: beside the first tick it collides with it; the values at the bar ends carry the
    # unit, and the chart's title names it.

    zero = x_of(0.0)
    for r, name in enumerate(names):
        row_top = plot_top + r * row_height + row_pad / 2
        centre = row_top + (row_height - row_pad) / 2
        shown = _truncate(name, label_width, _FONT)
        content = (_title(name) if shown != name else "") + escape(shown)
        body.append(f'<g class="chart-row" data-label="{escape(name)}">')
        body.append(_tag("text", content, x=label_right, y=centre, dy=".35em", text_anchor="end", class_="chart-label"))
        for j, (s, vals) in enumerate(rows):
            colour, dash = _series_style(j, s)
            bar_top = row_top + j * (bar_height + bar_gap)
            mid = bar_top + bar_height / 2
            v = vals[r]
            if v is None:
                body.append(_tag("text", "–", x=zero + 4, y=mid, dy=".35em", class_="chart-value"))
                continue
            end = x_of(v)
            body.append(
                _tag(
                    "rect",
                    _title(f"{name} · {s.label}: {value_text(v)}"),
                    x=min(zero, end),
                    y=bar_top,
                    width=abs(end - zero),
                    height=bar_height,
                    **_bar_paint(colour, dash),
                    class_="chart-bar",
                )
            )
            body.append(
                _tag(
                    "text",
                    escape(value_text(v)),
                    x=end - 4 if v < 0 else end + 4,
                    y=mid,
                    dy=".35em",
                    text_anchor="end" if v < 0 else "start",
                    class_="chart-value",
                )
            )
        body.append("</g>")
    return body, total_height


def _vertical_bars(
    names: list[str],
    rows: list[tuple[Series, tuple[float | None, ...]]],
    title: str,
    unit: str,
    width: int,
    ticks: tuple[float, ...],
    value_text: Callable[[float], str],
    tick_text: Callable[[float], str],
) -> tuple[list[str], float]:
    body: list[str] = []
    top = _title_and_legend(body, title=title, rows=rows, width=width, kind="bar")
    tick_labels = [tick_text(t) for t in ticks]
    plot_top = top + (16 if unit else 8) + _FONT  # room for the value written above the tallest column
    bottom_space = _FONT + 10
    total_height = max(_VERTICAL_BAR_HEIGHT, plot_top + _MIN_PLOT_HEIGHT + bottom_space + _PAD)
    plot_bottom = total_height - _PAD - bottom_space
    y_label_width = max(_text_width(text, _FONT) for text in tick_labels)
    plot_left = _PAD + y_label_width + 8
    plot_right = width - _PAD
    band = (plot_right - plot_left) / len(names)

    def y_of(value: float) -> float:
        return _position(value, ticks, plot_bottom, plot_top)

    _y_axis(body, ticks, tick_labels, y_of, plot_left, plot_right, unit=unit)

    shown = [_truncate(name, 120, _FONT) for name in names]
    stride = _label_stride(band, max(_text_width(text, _FONT) for text in shown))
    body.append('<g class="chart-xlabels">')
    for i in _thinned_indices(len(names), stride):
        content = (_title(names[i]) if shown[i] != names[i] else "") + escape(shown[i])
        x = plot_left + (i + 0.5) * band
        body.append(_tag("text", content, x=x, y=plot_bottom + _FONT + 6, text_anchor="middle", class_="chart-xlabel"))
    body.append("</g>")

    n_series = len(rows)
    bar_width = min(band * 0.8 / n_series, 48.0)
    zero = y_of(0.0)
    for i, name in enumerate(names):
        group_left = plot_left + i * band + (band - bar_width * n_series) / 2
        body.append(f'<g class="chart-row" data-label="{escape(name)}">')
        for j, (s, vals) in enumerate(rows):
            v = vals[i]
            if v is None:
                continue
            colour, dash = _series_style(j, s)
            x = group_left + j * bar_width
            end = y_of(v)
            text = value_text(v)
            body.append(
                _tag(
                    "rect",
                    _title(f"{name} · {s.label}: {text}"),
                    x=x + 0.5,
                    y=min(zero, end),
                    width=max(bar_width - 1, 1.0),
                    height=abs(end - zero),
                    **_bar_paint(colour, dash),
                    class_="chart-bar",
                )
            )
            # Only where it fits: overlapping numbers are worse than none (the tooltip still has the value).
            if _text_width(text, _FONT) <= bar_width + 2:
                y = end - 4 if v >= 0 else end + _FONT + 2
                body.append(
                    _tag("text", escape(text), x=x + bar_width / 2, y=y, text_anchor="middle", class_="chart-value")
                )
        body.append("</g>")
    return body, total_height


# --- shared pieces ----------------------------------------------------------------------------------------


def _svg(
    *, kind: str, cid: str, width: int, height: float, title: str, desc: str, points: int, body: list[str]
) -> SafeString:
    head = "<svg " + _attrs(
        xmlns=_SVG_NS,
        class_=f"bo-chart bo-chart-{kind}",
        width=float(width),
        height=float(height),
        viewBox=f"0 0 {_n(width)} {_n(height)}",
        role="img",
        aria_labelledby=f"{cid}-title {cid}-desc",
        data_points=points,
        font_family="inherit",
        font_size=_FONT,
        fill="#333",
    )
    parts = [
        head + ">",
        _tag("title", escape(title), id=f"{cid}-title"),
        _tag("desc", escape(desc), id=f"{cid}-desc"),
        f"<style>{_STYLE}</style>",
        _tag("rect", width="100%", height="100%", fill="#fff", class_="chart-bg"),
        *body,
        "</svg>",
    ]
    # Safe: every caller-supplied string in ``parts`` went through escape().
    return mark_safe("".join(parts))


def _empty_chart(*, cid: str, width: int, title: str, empty_text: str) -> SafeString:
    """A short chart-shaped box with a message: a page keeps its layout and says why nothing is drawn."""
    height = 72
    body = [
        _tag("text", escape(title), x=_PAD, y=_PAD + _TITLE_FONT, class_="chart-title"),
        _tag(
            "text",
            escape(empty_text),
            x=width / 2,
            y=_PAD + _TITLE_FONT + (height - _PAD - _TITLE_FONT) / 2,
            dy=".35em",
            text_anchor="middle",
            class_="chart-empty-text",
        ),
    ]
    return _svg(
        kind="empty", cid=cid, width=width, height=height, title=title, desc=str(empty_text), points=0, body=body
    )


def _title_and_legend(
    body: list[str], *, title: str, rows: list[tuple[Series, tuple[float | None, ...]]], width: int, kind: str
) -> float:
    """Draws the visible title and the legend; returns the y where the plot may start."""
    body.append(_tag("text", escape(title), x=_PAD, y=_PAD + _TITLE_FONT, class_="chart-title"))
    top = _PAD + _TITLE_FONT + 8
    body.append('<g class="chart-legend">')
    x, y = float(_PAD), float(top)
    for index, (s, _vals) in enumerate(rows):
        label = _truncate(s.label, _LEGEND_LABEL_MAX, _FONT)
        item_width = 22 + _text_width(label, _FONT) + 14
        if x > _PAD and x + item_width > width - _PAD:
            x, y = float(_PAD), y + _LEGEND_ROW
        colour, dash = _series_style(index, s)
        middle = y + _LEGEND_ROW / 2
        if kind == "line":
            swatch = _tag(
                "line", x1=x, y1=middle, x2=x + 18, y2=middle, stroke=colour, stroke_width="2.5", stroke_dasharray=dash
            )
        else:
            swatch = _tag("rect", x=x + 3, y=middle - 6, width="12", height="12", **_bar_paint(colour, dash))
        content = (_title(s.label) if label != s.label else "") + escape(label)
        text = _tag("text", content, x=x + 22, y=middle, dy=".35em")
        body.append(_tag("g", swatch + text, class_="chart-legend-item"))
        x += item_width
    body.append("</g>")
    return y + _LEGEND_ROW + 4


def _y_axis(
    body: list[str],
    ticks: tuple[float, ...],
    tick_labels: list[str],
    y_of: Callable[[float], float],
    plot_left: float,
    plot_right: float,
    *,
    unit: str,
) -> None:
    body.append('<g class="chart-grid-lines">')
    for tick, text in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        cls = "chart-axis" if tick == 0 else "chart-grid"
        stroke = "#8c8c8c" if tick == 0 else "#e5e5e5"
        body.append(_tag("line", x1=plot_left, y1=y, x2=plot_right, y2=y, stroke=stroke, class_=cls))
        body.append(
            _tag("text", escape(text), x=plot_left - 6, y=y, dy=".35em", text_anchor="end", class_="chart-tick")
        )
    body.append("</g>")
    if unit:
        body.append(_tag("text", escape(f"({unit})"), x=_PAD, y=y_of(ticks[-1]) - 10, class_="chart-unit"))


def _series_style(index: int, series: Series) -> tuple[str, str | None]:
    """Colour and dash pattern: colour by position, dashes for comparison series and palette repeats."""
    colour = PALETTE[index % len(PALETTE)]
    repeat = index >= len(PALETTE)
    if series.dashed:
        return colour, _DASHED_DOTTED if repeat else _DASHED
    return colour, _DOTTED if repeat else None


def _bar_paint(colour: str, dash: str | None) -> dict[str, str | None]:
    """Solid fill, or for comparison series a pale fill with a dashed outline in the same colour."""
    if dash is None:
        return {"fill": colour}
    return {"fill": colour, "fill_opacity": "0.3", "stroke": colour, "stroke_width": "1.5", "stroke_dasharray": dash}


def _segments(values: tuple[float | None, ...]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values: a missing day breaks the line instead of being drawn as zero."""
    segments: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        segments.append(current)
    return segments


def _label_stride(spacing: float, label_width: float) -> int:
    """Every how many positions a label fits without touching its neighbour (same stride across the axis)."""
    if spacing <= 0:
        return 1
    return max(1, math.ceil((label_width + _X_LABEL_GAP) / spacing))


def _thinned_indices(count: int, stride: int) -> list[int]:
    """Indices of the labels to draw, anchored on the last one (the newest date is always labelled)."""
    return list(range(count - 1, -1, -stride))[::-1]


def _position(value: float, ticks: tuple[float, ...], start: float, end: float) -> float:
    lo, hi = ticks[0], ticks[-1]
    return start + (value - lo) / (hi - lo) * (end - start)


# --- numbers ----------------------------------------------------------------------------------------------

_NICE_MULTIPLIERS = (1.0, 2.0, 2.5, 5.0)
_MAX_INTERVALS = 4  # 5 ticks
_MIN_INTERVALS = 3  # 4 ticks
_MIN_FILL = 0.6  # padding the axis to get 4 ticks may not leave the data filling less than this share


def _nice_ticks(lo: float, hi: float, *, integer: bool) -> tuple[float, ...]:
    """Axis ticks at round numbers (1, 2, 2.5 or 5 times a power of ten), always including 0.

    Returns 4 or 5 ticks where the data allows. Counts (``integer``) never get fractional ticks: a day with
    at most 1 event gets ``0, 1`` rather than ``0, 0.25, 0.5, ...``. Zero is always on the axis because bar
    lengths and line heights compared against a cut-off axis exaggerate differences.
    """
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi = lo + 1.0
    span = hi - lo
    exponent = math.floor(math.log10(span / _MAX_INTERVALS))
    for power in range(exponent, exponent + 3):
        for multiplier in _NICE_MULTIPLIERS:
            step = multiplier * 10.0**power
            if integer and not step.is_integer():
                continue
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            if last - first <= _MAX_INTERVALS:
                missing = _MIN_INTERVALS - (last - first)
                if missing > 0 and span / ((last - first + missing) * step) >= _MIN_FILL:
                    if hi > 0:
                        last += missing
                    else:
                        first -= missing
                return tuple(round(k * step, 10) + 0.0 for k in range(first, last + 1))
    raise AssertionError(f"no tick step for {lo}..{hi}")  # unreachable: 100x the raw step always fits


def _format_number(value: float) -> str:
    """Full precision for people: thousands separators, at most two decimals, no trailing zeros."""
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_COMPACT_KO = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_COMPACT_OTHER = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))


def _format_compact(value: float) -> str:
    """Short axis numbers. Korean readers group by 만/억 (10⁴/10⁸), so "2.5만" rather than "25K"."""
    units = _COMPACT_KO if (get_language() or "").lower().startswith("ko") else _COMPACT_OTHER
    for size, suffix in units:
        if abs(value) >= size:
            quotient = value / size
            digits = 0 if abs(quotient) >= 100 else 1 if abs(quotient) >= 10 else 2
            text = f"{quotient:,.{digits}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + suffix
    return _format_number(value)


def _formatters(
    y_format: Callable[[float], str] | None, ticks: tuple[float, ...], unit: str
) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """(value with unit for tooltips and bar ends, bare tick label). Ticks go compact from 10,000 up."""
    if y_format is not None:
        number = tick = y_format
    else:
        number = _format_number
        tick = _format_compact if max(abs(t) for t in ticks) >= 10_000 else _format_number

    # "12건" but "12 decisions": a word in a Latin script needs its space, a Korean counter does not.
    separator = " " if unit[:1].isascii() and unit[:1].isalpha() else ""

    def value_text(value: float) -> str:
        return f"{number(value)}{separator}{unit}"

    return value_text, tick


def _value_or_dash(value: float | None, value_text: Callable[[float], str]) -> str:
    return "–" if value is None else value_text(value)


# --- text -------------------------------------------------------------------------------------------------


def _text_width(text: str, size: float) -> float:
    """Estimated rendered width without font metrics: Hangul/CJK and ambiguous-width characters (…, ·) take
    a full em in Korean fonts, the rest ~0.62em. Errs wide, so labels may be sparser but never overlap."""
    total = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.62
    return total * size


def _truncate(text: str, max_width: float, size: float) -> str:
    if _text_width(text, size) <= max_width:
        return text
    budget = max_width - _text_width("…", size)
    kept: list[str] = []
    used = 0.0
    for char in text:
        used += _text_width(char, size)
        if used > budget:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _n(value: float) -> str:
    """Coordinates with at most one decimal: crisp enough for SVG, keeps the markup small."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _attrs(**attrs: object) -> str:
    """Attributes from keywords, values escaped: ``class_`` → ``class``, ``stroke_width`` → ``stroke-width``;
    ``None`` leaves the attribute out, floats are rounded with :func:`_n`."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        # A chart has hundreds of attributes, mostly numbers: format those directly; the standard library's
        # escape (what django.utils.html.escape calls, minus its lazy-string wrapper) for the rest.
        if isinstance(value, float):
            text = _n(value)
        elif isinstance(value, int):
            text = str(value)
        else:
            text = html.escape(str(value))
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{text}"')
    return " ".join(parts)


def _tag(name: str, content: str | None = None, /, **attrs: object) -> str:
    """One element; ``content`` must already be markup (escaped), ``None`` makes it self-closing."""
    head = f"{name} {_attrs(**attrs)}".rstrip()
    return f"<{head}/>" if content is None else f"<{head}>{content}</{name}>"


# --- input, ids, descriptions -----------------------------------------------------------------------------


def _clean_series(series: Sequence[Series], expected: int) -> list[tuple[Series, tuple[float | None, ...]]]:
    """Values as floats (Decimal from aggregates included), non-finite ones as gaps, lengths checked."""
    rows = []
    for s in series:
        if len(s.values) != expected:
            raise ValueError(f"Series {str(s.label)!r} has {len(s.values)} values for {expected} labels")
        values: list[float | None] = []
        for v in s.values:
            number = None if v is None else float(v)
            values.append(number if number is not None and math.isfinite(number) else None)
        # Labels as plain str: lazy translations are resolved once, in the active language.
        rows.append((Series(str(s.label), values, s.dashed), tuple(values)))
    return rows


def _has_data(rows: list[tuple[Series, tuple[float | None, ...]]]) -> bool:
    return any(v for _, vals in rows for v in vals)


def _chart_id(kind: str, title: str, labels: list[str], rows: list[tuple[Series, tuple[float | None, ...]]]) -> str:
    """Ids from the content: stable output for caching, distinct ids for different charts on one page."""
    key = repr((kind, str(title), labels, [(str(s.label), s.dashed, vals) for s, vals in rows]))
    return "bo-chart-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:10]


def _line_description(
    labels: list[str], rows: list[tuple[Series, tuple[float | None, ...]]], value_text: Callable[[float], str]
) -> str:
    """What a sighted reader takes from the chart: the range, and per series its low, high and latest value."""
    sentences = [
        gettext("Line chart, %(count)s points from %(first)s to %(last)s.")
        % {"count": len(labels), "first": labels[0], "last": labels[-1]}
    ]
    for s, vals in rows:
        known = [v for v in vals if v is not None]
        if not known:
            sentences.append(gettext("%(series)s: no data.") % {"series": s.label})
            continue
        sentences.append(
            gettext("%(series)s: lowest %(min)s, highest %(max)s, latest %(latest)s.")
            % {
                "series": s.label,
                "min": value_text(min(known)),
                "max": value_text(max(known)),
                "latest": value_text(known[-1]),
            }
        )
    return " ".join(sentences)


def _bar_description(
    labels: list[str], rows: list[tuple[Series, tuple[float | None, ...]]], value_text: Callable[[float], str]
) -> str:
    sentences = [gettext("Bar chart, %(count)s categories.") % {"count": len(labels)}]
    for s, vals in rows:
        known = [(v, labels[i]) for i, v in enumerate(vals) if v is not None]
        if not known:
            sentences.append(gettext("%(series)s: no data.") % {"series": s.label})
            continue
        high = max(known, key=lambda pair: pair[0])
        low = min(known, key=lambda pair: pair[0])
        sentences.append(
            gettext("%(series)s: highest %(max)s (%(max_label)s), lowest %(min)s (%(min_label)s).")
            % {
                "series": s.label,
                "max": value_text(high[0]),
                "max_label": high[1],
                "min": value_text(low[0]),
                "min_label": low[1],
            }
        )
    return " ".join(sentences)
