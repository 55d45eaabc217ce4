"""The report pages as data: headline numbers with their previous-period comparison, and sections of one chart
plus the table beside it. Views render a ``Page`` as HTML or CSV, so the CSV is exactly what the page shows.

Pages read rollups (``reports.selectors.from_rollups``) and a few live, index-backed counts ("open cases now");
``source=from_source`` computes the same page from the raw tables (the benchmark's comparison).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from jobs.models import Category, CloseReason, EmploymentType
from jobs.regions import province_name
from moderation.models import Band, DecisionAction, PolicyClause, Rule, RuleMode
from reports import selectors
from reports.charts import Series, bar_chart, line_chart
from reports.metrics import local_day
from reports.selectors import Agg, Filters, MetricData

Source = Callable[..., MetricData]


# --- periods ------------------------------------------------------------------------------------------------


class Preset:
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "quarter"
    CUSTOM = "custom"


PRESET_DAYS = {Preset.TODAY: 1, Preset.WEEK: 7, Preset.MONTH: 30, Preset.QUARTER: 90}
PRESET_LABELS = {
    Preset.TODAY: gettext_lazy("Today"),
    Preset.WEEK: gettext_lazy("7 days"),
    Preset.MONTH: gettext_lazy("30 days"),
    Preset.QUARTER: gettext_lazy("Quarter (90 days)"),
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        """The period of the same length just before: what every number is compared with."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def each_day(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    @classmethod
    def preset(cls, name: str, today: dt.date | None = None) -> Period:
        today = today or local_day(dt.datetime.now(dt.UTC))
        return cls(today - dt.timedelta(days=PRESET_DAYS[name] - 1), today)

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


# --- formatting ---------------------------------------------------------------------------------------------


def fmt_count(value: float | None) -> str:
    return "–" if value is None else number_format(round(value), force_grouping=True)


def fmt_decimal(value: float | None, places: int = 1) -> str:
    return "–" if value is None else number_format(round(value, places), places, force_grouping=True)


def fmt_percent(value: float | None) -> str:
    return "–" if value is None else f"{number_format(round(100 * value, 1), 1)}%"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return _("%(n)s min") % {"n": number_format(round(seconds / 60))}
    if seconds < 2 * 86400:
        return _("%(n)s h") % {"n": number_format(round(seconds / 3600, 1), 1)}
    return _("%(n)s d") % {"n": number_format(round(seconds / 86400, 1), 1)}


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def change(current: float | None, previous: float | None) -> str:
    """Relative change for counts, e.g. "+12.5%"; "new" when the previous period had none."""
    if current is None or previous is None:
        return ""
    if previous == 0:
        return "" if current == 0 else _("new")
    delta = (current - previous) / previous
    return f"{'+' if delta >= 0 else '−'}{number_format(round(abs(100 * delta), 1), 1)}%"


def point_change(current: float | None, previous: float | None) -> str:
    """Change of a rate in percentage points, e.g. "+1.2 pp"."""
    if current is None or previous is None:
        return ""
    delta = 100 * (current - previous)
    return f"{'+' if delta >= 0 else '−'}{number_format(round(abs(delta), 1), 1)} pp"


def short_day(day: dt.date) -> str:
    return f"{day:%m-%d}"


# --- page structure -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    previous: str = ""
    change: str = ""
    # Whether a rise is good news (green) or bad news (red); "" when neither.
    better: str = ""
    hint: str = ""

    @property
    def tone(self) -> str:
        if not self.change or not self.better or self.change in ("", _("new")):
            return ""
        if not any(digit in self.change for digit in "123456789"):
            return ""  # "+0.0%": no change worth a colour (neither good nor bad news)
        rising = not self.change.startswith("−")
        return "good" if rising == (self.better == "up") else "bad"


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    # Columns holding numbers: right-aligned (and tabular figures) in the page.
    numeric_from: int = 1

    def body_html(self) -> SafeString:
        """The ``<tr>`` rows of the table body: the first cell a row header, numeric cells right-aligned.

        Built here rather than in the template: a quarter's page has thousands of cells, and the template
        language's per-cell loop and ``if`` cost ~20 µs each (tens of milliseconds of a 300 ms budget)."""

        def cell(value: object) -> str:
            return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))

        numeric = ' class="num"'
        out = []
        for row in self.rows:
            cells = [f'<th scope="row">{cell(row[0])}</th>'] if row else []
            cells += [
                f"<td{numeric if index >= self.numeric_from else ''}>{cell(value)}</td>"
                for index, value in enumerate(row[1:], start=1)
            ]
            out.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(out))  # every cell escaped above


@dataclass
class Section:
    id: str
    title: str
    description: str
    chart: SafeString | None
    table: Table


@dataclass
class Page:
    slug: str
    title: str
    period: Period
    filters: Filters
    kpis: list[Kpi]
    sections: list[Section]
    missing_days: list[dt.date] = field(default_factory=list)

    def tables(self) -> list[Table]:
        headline = Table(
            "headline",
            _("Headline numbers"),
            [_("Measure"), _("This period"), _("Previous period"), pgettext("comparison", "Change")],
            [[kpi.label, kpi.value, kpi.previous, kpi.change] for kpi in self.kpis],
        )
        return [headline, *(section.table for section in self.sections)]


def _kpi_count(label: str, current: float, previous: float, better: str = "", hint: str = "") -> Kpi:
    return Kpi(label, fmt_count(current), fmt_count(previous), change(current, previous), better, hint)


def _kpi_rate(label: str, current: float | None, previous: float | None, better: str = "", hint: str = "") -> Kpi:
    return Kpi(label, fmt_percent(current), fmt_percent(previous), point_change(current, previous), better, hint)


def _kpi_duration(label: str, current: float | None, previous: float | None, hint: str = "") -> Kpi:
    return Kpi(label, fmt_duration(current), fmt_duration(previous), change(current, previous), "down", hint)


def _daily_values(daily: dict[dt.date, Agg], days: Sequence[dt.date], *, pick: str = "value") -> list[float | None]:
    out: list[float | None] = []
    for day in days:
        agg = daily.get(day)
        if pick == "p50":
            out.append(agg.percentile(0.5) if agg else None)
        else:
            out.append(agg.value if agg else 0.0)
    return out


def _load(  # type: ignore[no-untyped-def]
    source: Source,
    metrics: Sequence[str],
    period: Period,
    filters: Filters,
    by: str | None = None,
    *,
    daily: Collection[str] = (),
    daily_previous: Collection[str] = (),
    keys: bool = True,
):
    """The period and the previous one. Only the metrics a page charts or tabulates day by day (``daily``; for the
    previous period ``daily_previous``) are read per day; the rest come summed over the period, so a quarter's
    page handles a few hundred rows instead of tens of thousands. Asking a summed metric for its days raises."""
    return (
        source(metrics, period.start, period.end, filters, by, daily=daily, keys=keys),
        source(metrics, period.previous.start, period.previous.end, filters, by, daily=daily_previous, keys=keys),
    )


def band_label(key: str) -> str:
    try:
        return str(Band(int(key)).label)
    except (ValueError, TypeError):
        return key


def _choice_label(choices: Any, key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return key or _("(none)")


BANDS_URGENT_FIRST = [str(band) for band in sorted(Band.values, reverse=True)]


# --- moderation -----------------------------------------------------------------------------------------------

MODERATION_METRICS = (
    "cases_opened",
    "cases_resolved",
    "backlog",
    "time_to_decision",
    "cases_due",
    "sla_breaches",
    "decisions",
    "auto_hidden",
    "auto_hide_restored",
    "appeals_filed",
    "appeals_resolved",
)
REMOVING = {DecisionAction.REMOVE.value, DecisionAction.SANCTION.value}


def _removals(data: MetricData) -> float:
    return data.total("decisions", key=lambda key: key.split("|")[0] in REMOVING).value


def moderation_page(period: Period, filters: Filters, source: Source = selectors.from_rollups) -> Page:
    now, before = _load(
        source,
        MODERATION_METRICS,
        period,
        filters,
        daily=("backlog", "sla_breaches", "auto_hidden", "auto_hide_restored", "appeals_filed"),
        daily_previous=("backlog", "sla_breaches"),
    )
    live = selectors.live_backlog(filters)
    days = period.each_day()
    labels = [short_day(day) for day in days]

    ttd, ttd_prev = now.total("time_to_decision"), before.total("time_to_decision")
    breaches, breaches_prev = now.total("sla_breaches").value, before.total("sla_breaches").value
    due, _due_prev = now.total("cases_due").value, before.total("cases_due").value
    hidden, hidden_prev = now.total("auto_hidden").value, before.total("auto_hidden").value
    restored, restored_prev = now.total("auto_hide_restored").value, before.total("auto_hide_restored").value
    appeals = now.by_key("appeals_resolved")
    appeals_prev = before.by_key("appeals_resolved")

    def overturn_rate(by_outcome: dict[str, Agg]) -> float | None:
        resolved = sum(agg.value for agg in by_outcome.values())
        return ratio(by_outcome.get("overturned", Agg()).value, resolved)

    oldest = live.oldest_age
    # A period that ended in the past compares its own last day's backlog, not the queue of today.
    ended = period.end < local_day(dt.datetime.now(dt.UTC))
    backlog_now = now.total("backlog").value if ended else live.total
    kpis = [
        Kpi(
            _("Open cases at the end of the period") if ended else _("Open cases now"),
            fmt_count(backlog_now),
            fmt_count(before.total("backlog").value),
            change(backlog_now, before.total("backlog").value),
            "down",
            _("Compared with the end of the previous period."),
        ),
        Kpi(
            _("Oldest open case"),
            fmt_duration(oldest.total_seconds() if oldest else None),
            hint=_("%(n)s open cases are past their due time.") % {"n": fmt_count(live.overdue)},
        ),
        _kpi_count(_("Cases opened"), now.total("cases_opened").value, before.total("cases_opened").value),
        _kpi_count(_("Cases resolved"), now.total("cases_resolved").value, before.total("cases_resolved").value, "up"),
        _kpi_duration(_("Time to decision, median"), ttd.percentile(0.5), ttd_prev.percentile(0.5)),
        _kpi_duration(_("Time to decision, 90th percentile"), ttd.percentile(0.9), ttd_prev.percentile(0.9)),
        _kpi_count(
            _("SLA breaches"),
            breaches,
            breaches_prev,
            "down",
            _("%(rate)s of the cases due in the period.") % {"rate": fmt_percent(ratio(breaches, due))},
        ),
        _kpi_count(
            _("Hidden automatically"),
            hidden,
            hidden_prev,
            "",
            _("%(n)s restored by a person.") % {"n": fmt_count(restored)},
        ),
        _kpi_rate(
            _("Appeal rate"),
            ratio(now.total("appeals_filed").value, _removals(now)),
            ratio(before.total("appeals_filed").value, _removals(before)),
            "down",
            _("Appeals filed per removal decided by a person."),
        ),
        _kpi_rate(
            _("Overturn rate"),
            overturn_rate(appeals),
            overturn_rate(appeals_prev),
            "down",
            _("Share of decided appeals that overturned the decision."),
        ),
    ]

    # Backlog over time, per band, with the previous period's total dashed for comparison.
    backlog_by_band = now.daily_by_key("backlog")
    backlog_total = now.daily("backlog")
    backlog_prev = before.daily("backlog")
    series = [
        Series(band_label(band), _daily_values(backlog_by_band.get(band, {}), days)) for band in BANDS_URGENT_FIRST
    ]
    series.append(
        Series(_("All bands, previous period"), _daily_values(backlog_prev, period.previous.each_day()), True)
    )
    backlog_table = Table(
        "backlog",
        _("Backlog at the end of each day"),
        [_("Day"), *(band_label(band) for band in BANDS_URGENT_FIRST), _("Total")],
    )
    for day in days:
        backlog_table.rows.append(
            [
                f"{day:%Y-%m-%d}",
                *(fmt_count(backlog_by_band.get(band, {}).get(day, Agg()).value) for band in BANDS_URGENT_FIRST),
                fmt_count(backlog_total.get(day, Agg()).value),
            ]
        )

    # Time to decision by band.
    ttd_by_band, ttd_prev_by_band = now.by_key("time_to_decision"), before.by_key("time_to_decision")
    ttd_table = Table(
        "time-to-decision",
        _("Time to decision by band"),
        [
            _("Band"),
            _("Cases resolved"),
            _("Median"),
            _("90th percentile"),
            _("Median, previous"),
            _("90th percentile, previous"),
        ],
    )
    p50s, p90s = [], []
    for band in BANDS_URGENT_FIRST:
        agg, prev = ttd_by_band.get(band, Agg()), ttd_prev_by_band.get(band, Agg())
        p50s.append((agg.percentile(0.5) or 0) / 3600)
        p90s.append((agg.percentile(0.9) or 0) / 3600)
        ttd_table.rows.append(
            [
                band_label(band),
                fmt_count(agg.count),
                fmt_duration(agg.percentile(0.5)),
                fmt_duration(agg.percentile(0.9)),
                fmt_duration(prev.percentile(0.5)),
                fmt_duration(prev.percentile(0.9)),
            ]
        )

    # SLA breaches by band.
    due_by_band, breach_by_band = now.by_key("cases_due"), now.by_key("sla_breaches")
    due_prev_by_band, breach_prev_by_band = before.by_key("cases_due"), before.by_key("sla_breaches")
    sla_table = Table(
        "sla",
        _("SLA breaches by band"),
        [_("Band"), _("Cases due"), _("Breached"), _("Breach rate"), _("Breach rate, previous")],
    )
    for band in BANDS_URGENT_FIRST:
        band_due, band_breached = due_by_band.get(band, Agg()).value, breach_by_band.get(band, Agg()).value
        sla_table.rows.append(
            [
                band_label(band),
                fmt_count(band_due),
                fmt_count(band_breached),
                fmt_percent(ratio(band_breached, band_due)),
                fmt_percent(ratio(breach_prev_by_band.get(band, Agg()).value, due_prev_by_band.get(band, Agg()).value)),
            ]
        )

    # Decisions by action and reason (policy clause).
    decisions, decisions_prev = now.by_key("decisions"), before.by_key("decisions")
    decided_total = sum(agg.value for agg in decisions.values())
    decisions_table = Table(
        "decisions",
        _("Decisions by action and reason"),
        [_("Action"), _("Reason"), _("Decisions"), _("Share"), _("Previous period"), pgettext("comparison", "Change")],
        numeric_from=2,
    )
    # Ties in a fixed order (by key): the rows' order must not depend on the order the database returned them.
    for key in sorted(decisions, key=lambda k: (-decisions[k].value, k)):
        action, clause = ([*key.split("|"), ""])[:2]
        value, prev = decisions[key].value, decisions_prev.get(key, Agg()).value
        decisions_table.rows.append(
            [
                _choice_label(DecisionAction, action),
                _choice_label(PolicyClause, clause) if clause else _("(none)"),
                fmt_count(value),
                fmt_percent(ratio(value, decided_total)),
                fmt_count(prev),
                change(value, prev),
            ]
        )
    by_action_now = now.by_key("decisions", part=0)
    by_action_prev = before.by_key("decisions", part=0)
    actions = sorted(set(by_action_now) | set(by_action_prev), key=lambda a: (-by_action_now.get(a, Agg()).value, a))

    # Automatic hides and appeals.
    removals, removals_prev = _removals(now), _removals(before)
    filed, filed_prev = now.total("appeals_filed").value, before.total("appeals_filed").value
    overturned = appeals.get("overturned", Agg()).value
    overturned_prev = appeals_prev.get("overturned", Agg()).value
    resolved = sum(a.value for a in appeals.values())
    resolved_prev = sum(a.value for a in appeals_prev.values())
    safety_table = Table(
        "auto-hide-appeals",
        _("Automatic hides and appeals"),
        [_("Measure"), _("This period"), _("Previous period"), pgettext("comparison", "Change")],
    )
    for label, value, prev, is_rate in (
        (_("Hidden automatically"), hidden, hidden_prev, False),
        (_("Restored by a person"), restored, restored_prev, False),
        (_("Share restored"), ratio(restored, hidden), ratio(restored_prev, hidden_prev), True),
        (_("Removals decided by people"), removals, removals_prev, False),
        (_("Appeals filed"), filed, filed_prev, False),
        (_("Appeal rate"), ratio(filed, removals), ratio(filed_prev, removals_prev), True),
        (_("Appeals decided"), resolved, resolved_prev, False),
        (_("Overturned"), overturned, overturned_prev, False),
        (_("Overturn rate"), ratio(overturned, resolved), ratio(overturned_prev, resolved_prev), True),
    ):
        if is_rate:
            safety_table.rows.append([label, fmt_percent(value), fmt_percent(prev), point_change(value, prev)])
        else:
            safety_table.rows.append([label, fmt_count(value), fmt_count(prev), change(value, prev)])

    sections = [
        Section(
            "backlog",
            _("Backlog over time"),
            _("Open and escalated cases at the end of each day, by band."),
            line_chart(
                x_labels=labels,
                series=series,
                title=_("Backlog at the end of each day"),
                unit=pgettext("chart unit", "cases"),
            ),
            backlog_table,
        ),
        Section(
            "time-to-decision",
            _("Time to decision"),
            _("From a case's opening to its resolution, for the cases resolved in the period (hours)."),
            bar_chart(
                labels=[band_label(b) for b in BANDS_URGENT_FIRST],
                series=[Series(_("Median"), p50s), Series(_("90th percentile"), p90s)],
                title=_("Time to decision by band (hours)"),
                unit=pgettext("chart unit", "h"),
                y_format=lambda v: fmt_decimal(v, 1),
            ),
            ttd_table,
        ),
        Section(
            "sla",
            _("SLA breaches"),
            _("Cases due in the period that were decided late or are still open."),
            line_chart(
                x_labels=labels,
                series=[
                    Series(_("This period"), _daily_values(now.daily("sla_breaches"), days)),
                    Series(
                        _("Previous period"),
                        _daily_values(before.daily("sla_breaches"), period.previous.each_day()),
                        True,
                    ),
                ],
                title=_("SLA breaches per day"),
                unit=pgettext("chart unit", "cases"),
            ),
            sla_table,
        ),
        Section(
            "decisions",
            _("Decisions by action and reason"),
            _("Decisions people took in the period (undone decisions excluded)."),
            bar_chart(
                labels=[_choice_label(DecisionAction, a) for a in actions],
                series=[
                    Series(_("This period"), [by_action_now.get(a, Agg()).value for a in actions]),
                    Series(_("Previous period"), [by_action_prev.get(a, Agg()).value for a in actions], True),
                ],
                title=_("Decisions by action"),
                unit=pgettext("chart unit", "decisions"),
            ),
            decisions_table,
        ),
        Section(
            "auto-hide-appeals",
            _("Automatic hides and appeals"),
            _("Postings the system hid and how many a person published again; appeals and their outcome."),
            line_chart(
                x_labels=labels,
                series=[
                    Series(_("Hidden automatically"), _daily_values(now.daily("auto_hidden"), days)),
                    Series(_("Restored by a person"), _daily_values(now.daily("auto_hide_restored"), days)),
                    Series(_("Appeals filed"), _daily_values(now.daily("appeals_filed"), days)),
                ],
                title=_("Automatic hides, restores and appeals per day"),
                unit=pgettext("chart unit", "postings"),
            ),
            safety_table,
        ),
    ]
    return Page(
        "moderation",
        _("Moderation"),
        period,
        filters,
        kpis,
        sections,
        selectors.missing_days(period.previous.start, period.end),
    )


# --- moderators -------------------------------------------------------------------------------------------------

MODERATOR_METRICS = ("moderator_decisions", "moderator_handling", "second_reviews", "moderator_overturned")


def _usernames(ids: set[str]) -> dict[str, str]:
    numeric = [int(i) for i in ids if i.isdigit()]
    users = get_user_model().objects.filter(pk__in=numeric).values_list("pk", "username")
    return {str(pk): username for pk, username in users}


def moderators_page(period: Period, filters: Filters, source: Source = selectors.from_rollups) -> Page:
    now, before = _load(
        source,
        MODERATOR_METRICS,
        period,
        filters,
        daily=("moderator_handling",),  # the daily table's median over everyone; per moderator over the period
    )
    # Decisions per day of all moderators together: summed over moderators in the database (one row a day, not
    # one per moderator and day).
    everyone, everyone_before = _load(
        source,
        ("moderator_decisions",),
        period,
        filters,
        daily=("moderator_decisions",),
        daily_previous=("moderator_decisions",),
        keys=False,
    )
    decisions, decisions_prev = now.by_key("moderator_decisions"), before.by_key("moderator_decisions")
    handling, _handling_prev = now.by_key("moderator_handling"), before.by_key("moderator_handling")
    overturned, overturned_prev = now.by_key("moderator_overturned"), before.by_key("moderator_overturned")
    reviews: dict[str, dict[str, float]] = {}
    for key, agg in now.by_key("second_reviews").items():
        moderator, outcome = ([*key.split("|"), ""])[:2]
        reviews.setdefault(moderator, {})[outcome] = agg.value
    reviews_prev: dict[str, dict[str, float]] = {}
    for key, agg in before.by_key("second_reviews").items():
        moderator, outcome = ([*key.split("|"), ""])[:2]
        reviews_prev.setdefault(moderator, {})[outcome] = agg.value

    def agreement(outcomes: dict[str, float] | None) -> float | None:
        if not outcomes:
            return None
        return ratio(outcomes.get("agreed", 0), outcomes.get("agreed", 0) + outcomes.get("disagreed", 0))

    moderators = set(decisions) | set(handling) | set(reviews) | set(overturned)
    names = _usernames(moderators | set(decisions_prev))
    ordered = sorted(moderators, key=lambda m: (-decisions.get(m, Agg()).value, names.get(m, m)))
    table = Table(
        "moderators",
        _("Moderators"),
        [
            _("Moderator"),
            _("Decisions"),
            _("Previous period"),
            _("Median handling time"),
            _("90th percentile handling time"),
            _("Four-eyes reviews"),
            _("Agreement rate"),
            _("Overturned on appeal"),
        ],
    )
    for moderator in ordered:
        outcomes = reviews.get(moderator, {})
        table.rows.append(
            [
                names.get(moderator, f"#{moderator}"),
                fmt_count(decisions.get(moderator, Agg()).value),
                fmt_count(decisions_prev.get(moderator, Agg()).value),
                fmt_duration(handling.get(moderator, Agg()).percentile(0.5)),
                fmt_duration(handling.get(moderator, Agg()).percentile(0.9)),
                fmt_count(sum(outcomes.values())),
                fmt_percent(agreement(outcomes)),
                fmt_count(overturned.get(moderator, Agg()).value),
            ]
        )

    all_handling, all_handling_prev = now.total("moderator_handling"), before.total("moderator_handling")

    def pooled(by_moderator: dict[str, dict[str, float]]) -> dict[str, float]:
        out: dict[str, float] = {}
        for outcomes in by_moderator.values():
            for outcome, value in outcomes.items():
                out[outcome] = out.get(outcome, 0) + value
        return out

    total_decisions = sum(a.value for a in decisions.values())
    total_decisions_prev = sum(a.value for a in decisions_prev.values())
    kpis = [
        _kpi_count(_("Decisions by people"), total_decisions, total_decisions_prev, "up"),
        Kpi(
            _("Active moderators"),
            fmt_count(len(decisions)),
            fmt_count(len(decisions_prev)),
            change(len(decisions), len(decisions_prev)),
        ),
        _kpi_duration(
            _("Median handling time"),
            all_handling.percentile(0.5),
            all_handling_prev.percentile(0.5),
            _("From claiming a case to deciding it."),
        ),
        _kpi_rate(
            _("Four-eyes agreement rate"),
            agreement(pooled(reviews)),
            agreement(pooled(reviews_prev)),
            "up",
            _("Share of sampled decisions the second reviewer agreed with."),
        ),
        _kpi_count(
            _("Overturned on appeal"),
            sum(a.value for a in overturned.values()),
            sum(a.value for a in overturned_prev.values()),
            "down",
        ),
    ]
    top = ordered[:20]
    days = period.each_day()
    sections = [
        Section(
            "moderators",
            _("Decisions and quality per moderator"),
            _(
                "Handling time runs from the moderator's claim to their decision; agreement counts the four-eyes "
                "reviews of their decisions completed in the period."
            ),
            bar_chart(
                labels=[names.get(m, f"#{m}") for m in top],
                series=[
                    Series(_("This period"), [decisions.get(m, Agg()).value for m in top]),
                    Series(_("Previous period"), [decisions_prev.get(m, Agg()).value for m in top], True),
                ],
                title=_("Decisions per moderator"),
                unit=pgettext("chart unit", "decisions"),
            ),
            table,
        ),
        Section(
            "daily",
            _("Decisions per day"),
            _("All moderators together, against the previous period."),
            line_chart(
                x_labels=[short_day(d) for d in days],
                series=[
                    Series(_("This period"), _daily_values(everyone.daily("moderator_decisions"), days)),
                    Series(
                        _("Previous period"),
                        _daily_values(everyone_before.daily("moderator_decisions"), period.previous.each_day()),
                        True,
                    ),
                ],
                title=_("Decisions per day"),
                unit=pgettext("chart unit", "decisions"),
            ),
            Table(
                "daily",
                _("Decisions per day"),
                [_("Day"), _("Decisions"), _("Median handling time")],
                [
                    [
                        f"{d:%Y-%m-%d}",
                        fmt_count(everyone.daily("moderator_decisions").get(d, Agg()).value),
                        fmt_duration(now.daily("moderator_handling").get(d, Agg()).percentile(0.5)),
                    ]
                    for d in days
                ],
            ),
        ),
    ]
    return Page(
        "moderators",
        _("Moderators"),
        period,
        filters,
        kpis,
        sections,
        selectors.missing_days(period.previous.start, period.end),
    )


# --- rules ------------------------------------------------------------------------------------------------------

RULE_METRICS = ("rule_hits", "rule_hits_reviewed")


def rules_page(period: Period, filters: Filters, source: Source = selectors.from_rollups) -> Page:
    now, before = _load(source, RULE_METRICS, period, filters, daily=("rule_hits",), daily_previous=("rule_hits",))
    rules = {str(rule.pk): rule for rule in Rule.objects.order_by("name")}
    hits, hits_prev = now.by_key("rule_hits", part=0), before.by_key("rule_hits", part=0)
    dry_hits: dict[str, float] = {}
    for key, agg in now.by_key("rule_hits").items():
        rule_id, mode = ([*key.split("|"), ""])[:2]
        if mode == RuleMode.DRY_RUN:
            dry_hits[rule_id] = dry_hits.get(rule_id, 0) + agg.value

    def reviewed(data: MetricData) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for key, agg in data.by_key("rule_hits_reviewed").items():
            rule_id, upheld = ([*key.split("|"), ""])[:2]
            total, kept = out.get(rule_id, (0.0, 0.0))
            out[rule_id] = (total + agg.value, kept + (agg.value if upheld == "True" else 0))
        return out

    review, review_prev = reviewed(now), reviewed(before)
    table = Table(
        "rules",
        _("Hits and precision per rule"),
        [
            _("Rule"),
            _("Mode now"),
            _("Hits"),
            _("Previous period"),
            pgettext("comparison", "Change"),
            _("Reviewed"),
            _("Upheld"),
            _("Precision"),
            _("Precision, previous"),
        ],
        numeric_from=2,
    )
    ordered = sorted(rules, key=lambda r: (-hits.get(r, Agg()).value, rules[r].name))
    for rule_id in ordered:
        rule = rules[rule_id]
        total, kept = review.get(rule_id, (0.0, 0.0))
        prev_total, prev_kept = review_prev.get(rule_id, (0.0, 0.0))
        mode = rule.get_mode_display() if rule.enabled else _("Disabled")
        table.rows.append(
            [
                rule.name,
                str(mode),
                fmt_count(hits.get(rule_id, Agg()).value),
                fmt_count(hits_prev.get(rule_id, Agg()).value),
                change(hits.get(rule_id, Agg()).value, hits_prev.get(rule_id, Agg()).value),
                fmt_count(total),
                fmt_count(kept),
                fmt_percent(ratio(kept, total)),
                fmt_percent(ratio(prev_kept, prev_total)),
            ]
        )
    silent = [rules[r] for r in ordered if rules[r].enabled and not hits.get(r, Agg()).value]
    silent_table = Table(
        "silent-rules",
        _("Enabled rules that never fired in the period"),
        [_("Rule"), _("Kind"), _("Mode"), _("Last hit ever")],
    )
    last_hits = selectors.last_hit_per_rule([rule.pk for rule in silent])
    for rule in silent:
        last = last_hits.get(rule.pk)
        silent_table.rows.append(
            [
                rule.name,
                str(rule.get_kind_display()),
                str(rule.get_mode_display()),
                f"{local_day(last):%Y-%m-%d}" if last else _("never"),
            ]
        )
    dry_table = Table(
        "dry-run",
        _("Dry-run results"),
        [_("Rule"), _("Source"), _("Hits"), _("Rate"), _("Postings scanned")],
        numeric_from=2,
    )
    for rule_id in sorted(dry_hits, key=lambda r: (-dry_hits[r], r)):
        if rule_id in rules:
            dry_table.rows.append(
                [rules[rule_id].name, _("Recorded in dry-run mode"), fmt_count(dry_hits[rule_id]), "–", "–"]
            )
    for job in selectors.recent_dry_runs(period.start, period.end):
        for rule_name, rule_hits, rate in job.rows:
            dry_table.rows.append(
                [
                    rule_name,
                    _("Dry run of %(day)s by %(who)s") % {"day": f"{job.day:%Y-%m-%d}", "who": job.requested_by},
                    fmt_count(rule_hits),
                    rate,
                    fmt_count(job.scanned),
                ]
            )

    all_reviewed = sum(t for t, _k in review.values())
    all_kept = sum(k for _t, k in review.values())
    prev_reviewed = sum(t for t, _k in review_prev.values())
    prev_kept = sum(k for _t, k in review_prev.values())
    kpis = [
        _kpi_count(_("Rule hits"), now.total("rule_hits").value, before.total("rule_hits").value),
        _kpi_rate(
            _("Precision"),
            ratio(all_kept, all_reviewed),
            ratio(prev_kept, prev_reviewed),
            "up",
            _("Share of reviewed hits whose case a person upheld."),
        ),
        Kpi(_("Enabled rules that never fired"), fmt_count(len(silent))),
        Kpi(_("Dry-run hits"), fmt_count(sum(dry_hits.values())), hint=_("Hits of rules in dry-run mode.")),
    ]
    top = ordered[:20]
    days = period.each_day()
    sections = [
        Section(
            "rules",
            _("Hits and precision per rule"),
            _("Precision: of the hits whose case a person decided in the period, the share the decision upheld."),
            bar_chart(
                labels=[rules[r].name for r in top],
                series=[
                    Series(_("This period"), [hits.get(r, Agg()).value for r in top]),
                    Series(_("Previous period"), [hits_prev.get(r, Agg()).value for r in top], True),
                ],
                title=_("Hits per rule"),
                unit=pgettext("chart unit", "hits"),
            ),
            table,
        ),
        Section(
            "silent-rules",
            _("Rules that never fire"),
            _("Enabled rules without a single hit in the period: a broken pattern or a threat that moved on."),
            line_chart(
                x_labels=[short_day(d) for d in days],
                series=[
                    Series(_("All rules"), _daily_values(now.daily("rule_hits"), days)),
                    Series(
                        _("Previous period"), _daily_values(before.daily("rule_hits"), period.previous.each_day()), True
                    ),
                ],
                title=_("Rule hits per day"),
                unit=pgettext("chart unit", "hits"),
            ),
            silent_table,
        ),
        Section(
            "dry-run",
            _("Dry-run results"),
            _(
                "Hits recorded by rules in dry-run mode in the period, and the latest dry runs started from the "
                "rules page."
            ),
            None,
            dry_table,
        ),
    ]
    return Page(
        "rules", _("Rules"), period, filters, kpis, sections, selectors.missing_days(period.previous.start, period.end)
    )


# --- marketplace funnel -----------------------------------------------------------------------------------------

FUNNEL_METRICS = (
    "postings_created",
    "postings_published",
    "time_to_first_application",
    "applications",
    "hires",
    "postings_closed",
    "postings_expired",
    "postings_week_old",
    "postings_zero_applications",
    "applications_response_due",
    "applications_responded",
)
PER_THOUSAND_METRICS = ("postings_published", "reports_filed")


def _fill_rate(data: MetricData) -> float | None:
    closed = data.by_key("postings_closed")
    filled = closed.get(CloseReason.FILLED.value, Agg()).value
    ended = sum(a.value for a in closed.values()) + data.total("postings_expired").value
    return ratio(filled, ended)


def _per_thousand(data: MetricData, dim: str) -> float | None:
    return ratio(
        1000 * data.by_dimension("reports_filed").get(dim, Agg()).value,
        data.by_dimension("postings_published").get(dim, Agg()).value,
    )


def _reports_table(
    table_id: str,
    title: str,
    dimension: str,
    label: Callable[[str], str],
    period: Period,
    filters: Filters,
    source: Source,
) -> tuple[Table, list[str], list[float], list[float]]:
    now, before = _load(source, PER_THOUSAND_METRICS, period, filters, by=dimension)
    values = set(now.by_dimension("postings_published")) | set(now.by_dimension("reports_filed"))
    rates = {v: _per_thousand(now, v) for v in values}
    ordered = sorted(values, key=lambda v: (-(rates[v] or 0), label(v)))
    table = Table(
        table_id,
        title,
        [_("Group"), _("Postings published"), _("Reports"), _("Reports per 1,000 postings"), _("Previous period")],
    )
    for value in ordered:
        table.rows.append(
            [
                label(value),
                fmt_count(now.by_dimension("postings_published").get(value, Agg()).value),
                fmt_count(now.by_dimension("reports_filed").get(value, Agg()).value),
                fmt_decimal(rates[value]),
                fmt_decimal(_per_thousand(before, value)),
            ]
        )
    top = ordered[:15]
    return (table, [label(v) for v in top], [rates[v] or 0 for v in top], [_per_thousand(before, v) or 0 for v in top])


def category_label(code: str) -> str:
    return _choice_label(Category, code) if code != "~" else _("(none)")


def region_label(code: str) -> str:
    return province_name(code) if code != "~" else _("(none)")


def employment_type_label(code: str) -> str:
    return _choice_label(EmploymentType, code) if code != "~" else _("(none)")


def funnel_page(period: Period, filters: Filters, source: Source = selectors.from_rollups) -> Page:
    now, before = _load(
        source,
        (*FUNNEL_METRICS, "reports_filed"),
        period,
        filters,
        daily=("postings_created", "postings_published", "applications", "hires", "time_to_first_application"),
        daily_previous=("postings_published", "applications"),
    )
    days = period.each_day()
    published, published_prev = now.total("postings_published").value, before.total("postings_published").value
    applications, applications_prev = now.total("applications").value, before.total("applications").value
    first, first_prev = now.total("time_to_first_application"), before.total("time_to_first_application")

    def zero_share(data: MetricData) -> float | None:
        return ratio(data.total("postings_zero_applications").value, data.total("postings_week_old").value)

    def response_rate(data: MetricData) -> float | None:
        return ratio(data.total("applications_responded").value, data.total("applications_response_due").value)

    def reports_per_thousand(data: MetricData) -> float | None:
        return ratio(1000 * data.total("reports_filed").value, data.total("postings_published").value)

    kpis = [
        _kpi_count(
            _("Postings created"), now.total("postings_created").value, before.total("postings_created").value, "up"
        ),
        _kpi_count(_("Postings published"), published, published_prev, "up"),
        Kpi(
            _("Applications per published posting"),
            fmt_decimal(ratio(applications, published)),
            fmt_decimal(ratio(applications_prev, published_prev)),
            change(ratio(applications, published), ratio(applications_prev, published_prev)),
            "up",
        ),
        _kpi_duration(_("Time to first application, median"), first.percentile(0.5), first_prev.percentile(0.5)),
        _kpi_rate(
            _("Fill rate"),
            _fill_rate(now),
            _fill_rate(before),
            "up",
            _("Postings closed as filled, of all postings that closed or expired in the period."),
        ),
        _kpi_rate(
            _("No application after 7 days"),
            zero_share(now),
            zero_share(before),
            "down",
            _("Of the postings that turned a week old in the period."),
        ),
        _kpi_rate(
            _("Employer response rate"),
            response_rate(now),
            response_rate(before),
            "up",
            _("Applications the employer viewed or answered within 3 days."),
        ),
        Kpi(
            _("Reports per 1,000 postings"),
            fmt_decimal(reports_per_thousand(now)),
            fmt_decimal(reports_per_thousand(before)),
            change(reports_per_thousand(now), reports_per_thousand(before)),
            "down",
            _("Reports on postings per 1,000 postings published in the period."),
        ),
    ]

    created_daily, published_daily = now.daily("postings_created"), now.daily("postings_published")
    applications_daily, hires_daily = now.daily("applications"), now.daily("hires")
    first_daily = now.daily("time_to_first_application")
    daily_table = Table(
        "funnel-daily",
        _("Postings and applications per day"),
        [
            _("Day"),
            _("Postings created"),
            _("Postings published"),
            _("Applications"),
            _("Hires"),
            _("Time to first application, median"),
        ],
    )
    for day in days:
        daily_table.rows.append(
            [
                f"{day:%Y-%m-%d}",
                fmt_count(created_daily.get(day, Agg()).value),
                fmt_count(published_daily.get(day, Agg()).value),
                fmt_count(applications_daily.get(day, Agg()).value),
                fmt_count(hires_daily.get(day, Agg()).value),
                fmt_duration(first_daily[day].percentile(0.5) if day in first_daily else None),
            ]
        )

    closed, closed_prev = now.by_key("postings_closed"), before.by_key("postings_closed")
    outcome_table = Table(
        "outcomes",
        _("What happened to postings and applications"),
        [_("Measure"), _("This period"), _("Previous period"), pgettext("comparison", "Change")],
    )
    rows: list[tuple[str, float | None, float | None, str]] = [
        (_("Applications"), applications, applications_prev, "count"),
        (_("Hires"), now.total("hires").value, before.total("hires").value, "count"),
    ]
    for reason in CloseReason:
        rows.append(
            (
                _("Closed: %(reason)s") % {"reason": reason.label},
                closed.get(reason.value, Agg()).value,
                closed_prev.get(reason.value, Agg()).value,
                "count",
            )
        )
    rows += [
        (_("Expired"), now.total("postings_expired").value, before.total("postings_expired").value, "count"),
        (_("Fill rate"), _fill_rate(now), _fill_rate(before), "rate"),
        (
            _("Postings a week old"),
            now.total("postings_week_old").value,
            before.total("postings_week_old").value,
            "count",
        ),
        (
            _("… with no application in 7 days"),
            now.total("postings_zero_applications").value,
            before.total("postings_zero_applications").value,
            "count",
        ),
        (_("No application after 7 days"), zero_share(now), zero_share(before), "rate"),
        (
            _("Applications due a response (3 days)"),
            now.total("applications_response_due").value,
            before.total("applications_response_due").value,
            "count",
        ),
        (_("Employer response rate"), response_rate(now), response_rate(before), "rate"),
        (_("Time to first application, median"), first.percentile(0.5), first_prev.percentile(0.5), "duration"),
        (
            _("Time to first application, 90th percentile"),
            first.percentile(0.9),
            first_prev.percentile(0.9),
            "duration",
        ),
    ]
    for label, value, prev, kind in rows:
        if kind == "rate":
            outcome_table.rows.append([label, fmt_percent(value), fmt_percent(prev), point_change(value, prev)])
        elif kind == "duration":
            outcome_table.rows.append([label, fmt_duration(value), fmt_duration(prev), change(value, prev)])
        else:
            outcome_table.rows.append([label, fmt_count(value), fmt_count(prev), change(value, prev)])

    category_table, category_labels, category_now, category_prev = _reports_table(
        "reports-by-category",
        _("Reports per 1,000 postings by category"),
        "category",
        category_label,
        period,
        filters,
        source,
    )
    category_table.columns[0] = _("Category")
    region_table, region_labels, region_now, region_prev = _reports_table(
        "reports-by-region",
        _("Reports per 1,000 postings by region"),
        "region",
        region_label,
        period,
        filters,
        source,
    )
    region_table.columns[0] = _("Region")

    sections = [
        Section(
            "funnel-daily",
            _("Postings and applications per day"),
            _("Postings created and published, and applications submitted, each day."),
            line_chart(
                x_labels=[short_day(d) for d in days],
                series=[
                    Series(_("Postings created"), _daily_values(created_daily, days)),
                    Series(_("Postings published"), _daily_values(published_daily, days)),
                    Series(
                        _("Postings published, previous period"),
                        _daily_values(before.daily("postings_published"), period.previous.each_day()),
                        True,
                    ),
                ],
                title=_("Postings per day"),
                unit=pgettext("chart unit", "postings"),
            ),
            daily_table,
        ),
        Section(
            "outcomes",
            _("Outcomes"),
            _("Hires and fill rate, postings without applications after a week, employer responses."),
            line_chart(
                x_labels=[short_day(d) for d in days],
                series=[
                    Series(_("Applications"), _daily_values(applications_daily, days)),
                    Series(
                        _("Applications, previous period"),
                        _daily_values(before.daily("applications"), period.previous.each_day()),
                        True,
                    ),
                ],
                title=_("Applications per day"),
                unit=pgettext("chart unit", "applications"),
            ),
            outcome_table,
        ),
        Section(
            "reports-by-category",
            _("Reports per 1,000 postings by category"),
            _("Reports on postings filed in the period per 1,000 postings published in the period."),
            bar_chart(
                labels=category_labels,
                series=[Series(_("This period"), category_now), Series(_("Previous period"), category_prev, True)],
                title=_("Reports per 1,000 postings by category"),
                y_format=lambda v: fmt_decimal(v, 1),
            ),
            category_table,
        ),
        Section(
            "reports-by-region",
            _("Reports per 1,000 postings by region"),
            _("The same, by province (시도) of the posting."),
            bar_chart(
                labels=region_labels,
                series=[Series(_("This period"), region_now), Series(_("Previous period"), region_prev, True)],
                title=_("Reports per 1,000 postings by region"),
                y_format=lambda v: fmt_decimal(v, 1),
            ),
            region_table,
        ),
    ]
    return Page(
        "funnel",
        _("Marketplace funnel"),
        period,
        filters,
        kpis,
        sections,
        selectors.missing_days(period.previous.start, period.end),
    )


PAGES: dict[str, Callable[..., Page]] = {
    "moderation": moderation_page,
    "moderators": moderators_page,
    "rules": rules_page,
    "funnel": funnel_page,
}
PAGE_TITLES = {
    "moderation": gettext_lazy("Moderation"),
    "moderators": gettext_lazy("Moderators"),
    "rules": gettext_lazy("Rules"),
    "funnel": gettext_lazy("Marketplace funnel"),
}


# --- overview (admin index) -------------------------------------------------------------------------------------

OVERVIEW_METRICS = (
    "cases_resolved",
    "sla_breaches",
    "cases_due",
    "time_to_decision",
    "auto_hidden",
    "postings_published",
    "applications",
    "reports_filed",
)


def overview(today: dt.date | None = None) -> list[Kpi]:
    """What an ops lead checks every morning: the queue now, and yesterday against the day before."""
    today = today or local_day(dt.datetime.now(dt.UTC))
    yesterday = Period(today - dt.timedelta(days=1), today - dt.timedelta(days=1))
    week = Period(today - dt.timedelta(days=7), today - dt.timedelta(days=1))
    day, day_before = _load(selectors.from_rollups, OVERVIEW_METRICS, yesterday, Filters())
    this_week, last_week = _load(
        selectors.from_rollups, ("time_to_decision", "reports_filed", "postings_published"), week, Filters()
    )
    live = selectors.live_backlog()
    oldest = live.oldest_age
    breaches, due = day.total("sla_breaches").value, day.total("cases_due").value

    def per_thousand(data: MetricData) -> float | None:
        return ratio(1000 * data.total("reports_filed").value, data.total("postings_published").value)

    return [
        Kpi(
            _("Open cases now"),
            fmt_count(live.total),
            hint=_("%(n)s past their due time") % {"n": fmt_count(live.overdue)},
        ),
        Kpi(_("Oldest open case"), fmt_duration(oldest.total_seconds() if oldest else None)),
        _kpi_count(
            _("Cases resolved yesterday"),
            day.total("cases_resolved").value,
            day_before.total("cases_resolved").value,
            "up",
        ),
        _kpi_count(
            _("SLA breaches yesterday"),
            breaches,
            day_before.total("sla_breaches").value,
            "down",
            _("%(rate)s of the cases due") % {"rate": fmt_percent(ratio(breaches, due))},
        ),
        _kpi_duration(
            _("Time to decision, median (7 days)"),
            this_week.total("time_to_decision").percentile(0.5),
            last_week.total("time_to_decision").percentile(0.5),
        ),
        _kpi_count(
            _("Hidden automatically yesterday"), day.total("auto_hidden").value, day_before.total("auto_hidden").value
        ),
        _kpi_count(
            _("Postings published yesterday"),
            day.total("postings_published").value,
            day_before.total("postings_published").value,
            "up",
        ),
        _kpi_count(
            _("Applications yesterday"), day.total("applications").value, day_before.total("applications").value, "up"
        ),
        Kpi(
            _("Reports per 1,000 postings (7 days)"),
            fmt_decimal(per_thousand(this_week)),
            fmt_decimal(per_thousand(last_week)),
            change(per_thousand(this_week), per_thousand(last_week)),
            "down",
        ),
    ]
