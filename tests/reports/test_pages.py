"""Report pages in the admin: who may open them, periods and filters, what the CSV holds, and that a page built
from the rollups equals the same page computed from the raw tables.

The data (tests/reports/report_data.py) spans the 10 days before today; the rollups cover the last
``ROLLED_UP_DAYS`` days, enough for the 7- and 10-day periods and their previous periods.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.roles import ANALYST, MODERATOR, OPS_ADMIN, SENIOR_MODERATOR
from jobs.models import Category, EmploymentType
from moderation.models import Case, CaseStatus
from reports import pages, selectors
from reports.forms import MAX_RANGE_DAYS
from reports.models import RollupDay
from reports.pages import PAGE_TITLES, PAGES, Period
from reports.selectors import Filters
from tests.moderation.conftest import make_user
from tests.reference_data import restore_reference_data
from tests.reports import report_data
from tests.reports.report_data import Dataset

pytestmark = pytest.mark.django_db

ROLLED_UP_DAYS = 20
SLUGS = list(PAGE_TITLES)
SUPERUSER = "superuser"


@pytest.fixture(scope="module")
def _module_data(django_db_setup: None, django_db_blocker) -> Iterator[Dataset]:  # type: ignore[no-untyped-def]
    """Built and rolled up once for the module (a few seconds), inside a transaction rolled back at its end;
    each test runs in a savepoint of it, so what a test changes is undone after it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            if not Group.objects.exists():  # a transactional test before this module flushed the reference rows
                restore_reference_data()
            dataset = report_data.build(days=10)
            report_data.roll_up(dataset.today - dt.timedelta(days=ROLLED_UP_DAYS), dataset.today)
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    yield dataset
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def data(_module_data: Dataset, db: None) -> Dataset:
    return _module_data


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One instant for the whole test: a page's live numbers ("oldest open case": its age now) read the same
    clock in the two builds or requests a test compares."""
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)


def client_for(role: str | None) -> Client:
    client = Client()
    if role == SUPERUSER:
        client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    elif role is not None:
        client.force_login(make_user(role))
    return client


@pytest.fixture
def analyst_client(db: None) -> Client:
    return client_for(ANALYST)


def url(slug: str, **params: str) -> str:
    base = reverse(f"admin:reports_{slug}")
    return f"{base}?{urlencode(params)}" if params else base


def day(value: dt.date) -> str:
    return f"{value:%Y-%m-%d}"


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.content.decode())


def period_line(response) -> str:  # type: ignore[no-untyped-def]
    """The "<period>, compared with <previous>. Filters: …" line, whitespace collapsed."""
    match = re.search(r'<p class="rp-meta" id="report-period">(.*?)<a ', response.content.decode(), re.S)
    assert match, "no period line on the page"
    return " ".join(html.unescape(match.group(1)).split())


def expected_period_line(start: dt.date, end: dt.date, filters: str = "none") -> str:
    length = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    prev_start = prev_end - dt.timedelta(days=length - 1)
    return f"{day(start)} – {day(end)}, compared with {day(prev_start)} – {day(prev_end)}. Filters: {filters}."


def chart_points(response, section: str) -> int:  # type: ignore[no-untyped-def]
    match = re.search(
        rf'<section class="module" id="section-{re.escape(section)}".*?<svg [^>]*data-points="(\d+)"',
        response.content.decode(),
        re.S,
    )
    assert match, f"no chart in section {section}"
    return int(match.group(1))


# --- reading the page's tables back ------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every ``<table id="table-…">``: its caption (without the CSV link), header cells and body rows, as text.
    The "Nothing in this period." placeholder row of an empty table counts as no rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict] = {}
        self._table: dict | None = None
        self._where: str = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_link = False
        self._placeholder = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and (attributes.get("id") or "").startswith("table-"):
            self._table = {"title": "", "columns": [], "rows": []}
            self.tables[attributes["id"].removeprefix("table-")] = self._table  # type: ignore[union-attr]
        elif self._table is None:
            return
        elif tag in ("caption", "thead", "tbody"):
            self._where = tag
        elif tag == "a" and self._where == "caption":
            self._in_link = True
        elif tag == "tr":
            self._row = []
            self._placeholder = False
        elif tag in ("th", "td"):
            self._cell = []
            if "colspan" in attributes:
                self._placeholder = True

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag == "table":
            self._table = None
        elif tag == "a":
            self._in_link = False
        elif tag == "caption":
            self._where = ""
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._where == "thead":
                self._table["columns"] = self._row
            elif not self._placeholder:
                self._table["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._table is None:
            return
        if self._where == "caption" and not self._in_link:
            self._table["title"] += data
        elif self._cell is not None:
            self._cell.append(data)


def html_tables(response) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    parser = _Tables()
    parser.feed(response.content.decode())
    for table in parser.tables.values():
        table["title"] = table["title"].strip()
    return parser.tables


class _Kpis(HTMLParser):
    """The headline cards (``div.rp-kpi``): label, value, and the "Previous: … · <change>" line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[dict[str, str]] = []
        self._field = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "rp-kpi" in classes:
            self.cards.append({"label": "", "value": "", "prev": "", "change": ""})
        elif tag == "div" and self.cards and {"rp-label", "rp-value", "rp-prev"} & set(classes):
            self._field = next(name for name in ("label", "value", "prev") if f"rp-{name}" in classes)
        elif tag == "span" and self._field == "prev":
            self._field = "change"

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._field = ""
        elif tag == "span" and self._field == "change":
            self._field = "prev"

    def handle_data(self, data: str) -> None:
        if self._field:
            self.cards[-1][self._field] += data


def html_kpis(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The headline cards as rows of the CSV's headline table: label, value, previous, change."""
    parser = _Kpis()
    parser.feed(response.content.decode())
    rows = []
    for card in parser.cards:
        previous = card["prev"].removeprefix("Previous: ").removesuffix(" · ") if card["prev"] else ""
        rows.append([card["label"], card["value"], previous, card["change"]])
    return rows


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("text/csv")
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def csv_tables(rows: list[list[str]]) -> list[dict]:
    """The whole-page CSV's tables: after the four header lines, blank line, title, header, rows."""
    tables: list[dict] = []
    for row in rows[4:]:
        if row == []:
            tables.append({})
        elif "title" not in tables[-1]:
            assert len(row) == 1
            tables[-1]["title"] = row[0]
        elif "columns" not in tables[-1]:
            tables[-1]["columns"] = row
            tables[-1]["rows"] = []
        else:
            tables[-1]["rows"].append(row)
    return tables


# --- who may open the pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [ANALYST, SENIOR_MODERATOR, OPS_ADMIN, SUPERUSER])
def test_every_page_opens_for_report_readers(data: Dataset, role: str) -> None:
    client = client_for(role)
    for slug in SLUGS:
        response = client.get(url(slug))
        assert response.status_code == 200, (slug, response.content[:300])
        body = response.content.decode()
        assert f'data-report="{slug}"' in body
        page = PAGES[slug](pages.Period.preset(pages.Preset.MONTH, data.today), Filters())
        for section in page.sections:
            assert f'id="table-{section.table.id}"' in body
        # The default period is the 30-day preset.
        assert period_line(response) == expected_period_line(data.today - dt.timedelta(days=29), data.today)


def test_moderators_may_not_open_reports(data: Dataset) -> None:
    client = client_for(MODERATOR)
    for slug in SLUGS:
        assert client.get(url(slug)).status_code == 403
        assert client.get(url(slug, format="csv")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(data: Dataset) -> None:
    client = Client()
    for slug in SLUGS:
        for target in (url(slug), url(slug, format="csv")):
            response = client.get(target)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("role", [ANALYST, SENIOR_MODERATOR, OPS_ADMIN, SUPERUSER])
def test_index_lists_reports_and_the_overview_for_report_readers(data: Dataset, role: str) -> None:
    body = client_for(role).get(reverse("admin:index")).content.decode()
    assert 'class="app-reports module' in body
    for slug in SLUGS:
        assert f'href="{reverse(f"admin:reports_{slug}")}"' in body
    assert 'id="reports-overview"' in body
    overview = body[body.index('id="reports-overview"') :]
    open_now = Case.objects.exclude(status=CaseStatus.RESOLVED).count()
    assert open_now > 0
    assert re.search(rf'Open cases now</div>\s*<div class="ov-value">{open_now}</div>', overview)
    # Yesterday is compared with the day before, the 7-day numbers with the 7 days before: "Previous" for both.
    week_kpi = r'\(7 days\)</div>\s*<div class="ov-value">[^<]+</div>\s*<div class="ov-prev">Previous: '
    assert re.search(week_kpi, overview)
    assert "Day before" not in overview


def test_index_has_no_reports_for_moderators(data: Dataset) -> None:
    body = client_for(MODERATOR).get(reverse("admin:index")).content.decode()
    assert 'class="app-reports' not in body
    assert 'id="reports-overview"' not in body
    assert "/admin/reports/" not in body


@pytest.mark.parametrize(
    ("change", "better", "tone"),
    [
        ("+12.5%", "up", "good"),
        ("+12.5%", "down", "bad"),
        ("−3.0%", "down", "good"),
        ("−0.4 pp", "up", "bad"),
        ("+0.0%", "down", ""),  # unchanged (or a change that rounds to nothing) is neither good nor bad news
        ("+0.0 pp", "up", ""),
        ("−0.0%", "up", ""),
        ("new", "up", ""),
        ("+10.0%", "", ""),
    ],
)
def test_kpi_colour_follows_the_direction_of_good_news(change: str, better: str, tone: str) -> None:
    assert pages.Kpi("x", "1", "1", change, better).tone == tone


# --- periods ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "days"), [("today", 1), ("7d", 7), ("30d", 30), ("quarter", 90)])
def test_presets_choose_the_period_and_its_comparison(
    data: Dataset, analyst_client: Client, preset: str, days: int
) -> None:
    response = analyst_client.get(url("moderation", preset=preset))
    assert response.status_code == 200
    start = data.today - dt.timedelta(days=days - 1)
    assert period_line(response) == expected_period_line(start, data.today)
    assert chart_points(response, "backlog") == days
    assert len(html_tables(response)["backlog"]["rows"]) == days
    body = response.content.decode()
    assert re.findall(r'data-preset="([^"]+)" aria-current="true"', body) == [preset]


def test_custom_range_chooses_the_period(data: Dataset, analyst_client: Client) -> None:
    start, end = data.today - dt.timedelta(days=9), data.today - dt.timedelta(days=3)
    # Dates win over a preset given with them.
    response = analyst_client.get(url("funnel", preset="30d", start=day(start), end=day(end)))
    assert response.status_code == 200
    assert period_line(response) == expected_period_line(start, end)
    assert chart_points(response, "funnel-daily") == 7
    rows = html_tables(response)["funnel-daily"]["rows"]
    assert [row[0] for row in rows] == [day(start + dt.timedelta(days=i)) for i in range(7)]
    body = response.content.decode()
    assert f'value="{day(start)}"' in body and f'value="{day(end)}"' in body
    assert re.findall(r'data-preset="([^"]+)" aria-current="true"', body) == []  # no preset is the current one
    # A one-day custom period is compared with the day before.
    response = analyst_client.get(url("rules", start=day(end), end=day(end)))
    assert period_line(response) == expected_period_line(end, end)


def test_longest_allowed_range_is_accepted(data: Dataset, analyst_client: Client) -> None:
    start = data.today - dt.timedelta(days=MAX_RANGE_DAYS - 1)
    response = analyst_client.get(url("moderators", start=day(start), end=day(data.today)))
    assert response.status_code == 200
    assert period_line(response) == expected_period_line(start, data.today)


def _bad_inputs(today: dt.date) -> list[tuple[dict[str, str], str]]:
    yesterday = today - dt.timedelta(days=1)
    tomorrow = today + dt.timedelta(days=1)
    too_early = today - dt.timedelta(days=MAX_RANGE_DAYS)
    return [
        (
            {"start": day(yesterday), "end": day(today - dt.timedelta(days=5))},
            f"The period ends ({day(today - dt.timedelta(days=5))}) before it starts ({day(yesterday)}).",
        ),
        ({"start": day(yesterday), "end": day(tomorrow)}, f"The period cannot end after today ({day(today)})."),
        ({"start": day(yesterday)}, "Give both dates of a custom period, or pick a preset."),
        ({"end": day(yesterday)}, "Give both dates of a custom period, or pick a preset."),
        ({"preset": "custom"}, "Give both dates of a custom period, or pick a preset."),
        ({"region": "99"}, "Region: Select a valid choice. 99 is not one of the available choices."),
        ({"category": "astrology"}, "Category: Select a valid choice. astrology is not one of the available choices."),
        ({"start": day(too_early), "end": day(today)}, f"Pick at most {MAX_RANGE_DAYS} days."),
        ({"start": "2024-02-30", "end": day(today)}, "From: Enter a valid date."),
        ({"preset": "year"}, "Period: Select a valid choice. year is not one of the available choices."),
    ]


@pytest.mark.parametrize("case", range(10))
def test_bad_input_is_a_400_with_a_clear_message(data: Dataset, analyst_client: Client, case: int) -> None:
    params, message = _bad_inputs(data.today)[case]
    for slug in SLUGS:
        for extra in ({}, {"format": "csv"}):
            response = analyst_client.get(url(slug, **params, **extra))
            assert response.status_code == 400, (slug, params, extra)
            assert response["Content-Type"].startswith("text/html")
            body = text_of(response)
            alert = re.search(r'<div class="rp-error" role="alert">(.*?)</div>', body, re.S)
            assert alert, body[:500]
            assert message in " ".join(alert.group(1).split()), alert.group(1)
            assert 'id="report-period"' not in body  # no numbers for a period nobody asked for
            assert 'id="report-filters"' in body  # the form is there to correct the input


# --- filters ---------------------------------------------------------------------------------------------------


def _kpi(response, label: str) -> str:  # type: ignore[no-untyped-def]
    for row in html_kpis(response):
        if row[0] == label:
            return row[1]
    raise AssertionError(f"no KPI {label!r}")


def test_filters_change_the_numbers(data: Dataset, analyst_client: Client) -> None:
    start = data.today - dt.timedelta(days=6)
    everything = analyst_client.get(url("funnel", preset="7d"))
    seoul = analyst_client.get(url("funnel", preset="7d", region="11"))
    assert seoul.status_code == 200
    total = data.postings_published_in(start, data.today)
    in_seoul = data.postings_published_in(start, data.today, province="11")
    assert 0 < in_seoul < total
    assert _kpi(everything, "Postings published") == str(total)
    assert _kpi(seoul, "Postings published") == str(in_seoul)
    assert period_line(seoul) == expected_period_line(start, data.today, "Region: 서울특별시")
    # The per-region table of a region-filtered page has that region only.
    assert [row[0] for row in html_tables(seoul)["reports-by-region"]["rows"]] == ["서울특별시"]
    assert len(html_tables(everything)["reports-by-region"]["rows"]) == 3

    # A second filter narrows further; the preset links keep the filters.
    both = analyst_client.get(url("funnel", preset="7d", region="11", employment_type=EmploymentType.PART_TIME))
    expected = sum(
        1
        for posting in data.postings
        if start <= report_data.local_day(posting.published_at) <= data.today
        and posting.region_code.startswith("11")
        and posting.employment_type == EmploymentType.PART_TIME
    )
    assert int(_kpi(both, "Postings published")) == expected < in_seoul
    assert "region=11" in re.search(r'<a href="([^"]*)" data-preset="30d"', both.content.decode()).group(1)  # type: ignore[union-attr]

    cases_all = analyst_client.get(url("moderation", preset="7d"))
    cases_food = analyst_client.get(url("moderation", preset="7d", category=Category.FOOD_SERVICE))
    assert 0 < int(_kpi(cases_food, "Cases opened")) < int(_kpi(cases_all, "Cases opened"))


# --- CSV ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("params", [{"preset": "7d"}, {"preset": "30d", "region": "11"}])
def test_page_csv_is_what_the_page_shows(
    data: Dataset, analyst_client: Client, slug: str, params: dict, frozen_clock: None
) -> None:
    page = analyst_client.get(url(slug, **params))
    export = analyst_client.get(url(slug, **params, format="csv"))
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith(f'attachment; filename="report-{slug}-')
    rows = csv_rows(export)
    title = str(PAGE_TITLES[slug])
    assert rows[0] == ["Report", title]
    line = period_line(page)
    period, compared = line.split(", compared with ")
    assert rows[1] == ["Period", period]
    assert rows[2] == ["Compared with", compared.split(".")[0]]
    assert rows[3] == ["Filters", line.split("Filters: ")[1].rstrip(".")]

    tables = csv_tables(rows)
    headline, sections = tables[0], tables[1:]
    assert headline["title"] == "Headline numbers"
    assert headline["columns"] == ["Measure", "This period", "Previous period", "Change"]
    assert headline["rows"] == html_kpis(page)
    shown = html_tables(page)
    assert [table["title"] for table in sections] == [table["title"] for table in shown.values()]
    for (table_id, html_table), csv_table in zip(shown.items(), sections, strict=True):
        assert csv_table == html_table, table_id
    assert any(table["rows"] for table in sections)


@pytest.mark.parametrize("slug", SLUGS)
def test_one_table_csv(data: Dataset, analyst_client: Client, slug: str, frozen_clock: None) -> None:
    page = analyst_client.get(url(slug, preset="7d"))
    shown = html_tables(page)
    assert shown
    body = page.content.decode()
    for table_id, table in shown.items():
        link = f"?preset=7d&amp;format=csv&amp;table={table_id}"
        assert f'href="{link}"' in body
        export = analyst_client.get(url(slug, preset="7d", format="csv", table=table_id))
        assert export.status_code == 200
        assert f"report-{slug}-{table_id}-" in export["Content-Disposition"]
        assert csv_rows(export) == [table["columns"], *table["rows"]], table_id
    headline = analyst_client.get(url(slug, preset="7d", format="csv", table="headline"))
    assert csv_rows(headline)[1:] == html_kpis(page)


def test_unknown_table_is_404(data: Dataset, analyst_client: Client) -> None:
    for slug in SLUGS:
        assert analyst_client.get(url(slug, format="csv", table="no-such-table")).status_code == 404


# --- rollups against the raw tables ------------------------------------------------------------------------------

FILTER_SETS = [
    Filters(),
    Filters(region="11"),
    Filters(category=Category.RETAIL),
    Filters(employment_type=EmploymentType.FULL_TIME),
    Filters(region="26", category=Category.FOOD_SERVICE),
    Filters(category=Category.DELIVERY, employment_type=EmploymentType.PART_TIME),
    Filters(region="41", category=Category.RETAIL, employment_type=EmploymentType.FULL_TIME),
]


def filters_id(filters: Filters) -> str:
    return "+".join(f"{name}={value}" for name, value in filters.items().items()) or "no-filter"


def _as_data(page: pages.Page) -> dict:
    return {
        "tables": [(t.id, t.title, t.columns, t.rows) for t in page.tables()],
        "charts": [str(section.chart) for section in page.sections],
        "missing": page.missing_days,
    }


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("filters", FILTER_SETS, ids=filters_id)
def test_rollups_give_the_same_page_as_the_raw_tables(
    data: Dataset, slug: str, filters: Filters, frozen_clock: None
) -> None:
    build = PAGES[slug]
    for period in (
        Period.preset(pages.Preset.WEEK, data.today),
        Period(data.today - dt.timedelta(days=9), data.today),
        Period(data.today - dt.timedelta(days=8), data.today - dt.timedelta(days=4)),
    ):
        from_rollups = build(period, filters, source=selectors.from_rollups)
        from_source = build(period, filters, source=selectors.from_source)
        rollup_tables, source_tables = _as_data(from_rollups), _as_data(from_source)
        for (table_id, *rolled), (_, *raw) in zip(rollup_tables["tables"], source_tables["tables"], strict=True):
            assert rolled == raw, (slug, period, table_id)
        assert rollup_tables == source_tables
    # Not vacuous: the data reaches every page under these filters.
    assert any(row for table in from_rollups.tables()[1:] for row in table.rows)


def test_filtered_pages_have_data(data: Dataset) -> None:
    """The equivalence above compares real numbers: each filter set matches some postings and cases."""
    week = Period(data.today - dt.timedelta(days=9), data.today)
    for filters in FILTER_SETS:
        page = pages.funnel_page(week, filters)
        published = next(k for k in page.kpis if k.label == "Postings published")
        assert published.value != "0", filters
        moderation = pages.moderation_page(week, filters)
        opened = next(k for k in moderation.kpis if k.label == "Cases opened")
        assert opened.value != "0", filters


# --- cost and completeness --------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_query_count_does_not_grow_with_the_period(data: Dataset, analyst_client: Client, slug: str) -> None:
    def queries(preset: str) -> int:
        analyst_client.get(url(slug, preset=preset))  # per-process caches (content types, the theme)
        with CaptureQueriesContext(connection) as ctx:
            response = analyst_client.get(url(slug, preset=preset))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    week, quarter = queries("7d"), queries("quarter")
    assert quarter <= week, (week, quarter)


def test_days_not_rolled_up_show_a_warning(data: Dataset, analyst_client: Client) -> None:
    first_rolled = data.today - dt.timedelta(days=ROLLED_UP_DAYS)
    complete = analyst_client.get(url("moderation", preset="7d"))
    assert 'class="rp-warn"' not in complete.content.decode()

    # The warning covers the period and the previous one it is compared with (7 + 7 days here): the 7 days
    # before the start and the 5 first days of the period are missing.
    start = first_rolled - dt.timedelta(days=5)
    end = first_rolled + dt.timedelta(days=1)
    several = text_of(analyst_client.get(url("moderation", start=day(start), end=day(end))))
    first_missing = start - dt.timedelta(days=7)
    assert re.search(
        rf'<div class="rp-warn" role="status">\s*12 days of this period or the one it is compared with '
        rf"\(from {re.escape(day(first_missing))}\) have not been rolled up yet and count as zero",
        several,
    )
    # Two days: the previous period (the day before ``before``) and ``before`` itself are missing.
    before = first_rolled - dt.timedelta(days=1)
    two = text_of(analyst_client.get(url("funnel", start=day(before), end=day(before))))
    assert f"2 days of this period or the one it is compared with (from {day(before - dt.timedelta(days=1))})" in two
    # A day whose rollup was removed counts as missing again.
    removed = data.today - dt.timedelta(days=2)
    RollupDay.objects.filter(day=removed).delete()
    again = text_of(analyst_client.get(url("rules", preset="7d")))
    assert f"One day of this period or the one it is compared with ({day(removed)}) has not been rolled up yet" in again
