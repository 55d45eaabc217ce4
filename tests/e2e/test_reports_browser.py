"""An analyst reads the moderation report in a real browser: the default 30 days, the 7-day preset, a custom
range from the form, and the page's CSV download. Screenshots of each step are saved."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from backoffice.roles import ANALYST
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import UserFactory
from tests.reports import report_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MODERATION_TABLES = [
    "Headline numbers",
    "Backlog at the end of each day",
    "Time to decision by band",
    "SLA breaches by band",
    "Decisions by action and reason",
    "Automatic hides and appeals",
]
BACKLOG_CHART = "#section-backlog svg[data-points]"


def span(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def compared(start: dt.date, end: dt.date) -> str:
    """The period line's "<period>, compared with <previous>" for a period."""
    previous_end = start - dt.timedelta(days=1)
    previous_start = previous_end - (end - start)
    return f"{span(start, end)}, compared with {span(previous_start, previous_end)}"


def test_analyst_reads_the_moderation_report(live_server, browser, page, screenshot) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username="analyst-browser")
    user.groups.add(Group.objects.get(name=ANALYST))
    # About 40 days of postings and cases resolved on different days (some left open: the backlog).
    data = report_data.build(days=40, per_day=2)
    today = data.today
    report_data.roll_up(today - dt.timedelta(days=65), today)  # 30 days and the 30 compared with

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "analyst-browser")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#reports-overview")
    assert page.locator(".app-reports").count() >= 1
    screenshot("reports-admin-index-analyst")

    # Default: the last 30 days, one backlog point per day.
    page.goto(f"{live_server.url}/admin/reports/moderation/")
    page.wait_for_selector(BACKLOG_CHART)
    assert page.get_attribute(BACKLOG_CHART, "data-points") == "30"
    month_text = page.inner_text("#report-period")
    assert compared(today - dt.timedelta(days=29), today) in month_text
    assert page.locator("#table-backlog tbody tr").count() == 30
    # The tabs are tabs, not a bulleted list.
    assert page.eval_on_selector(".rp-tabs li", "li => getComputedStyle(li).listStyleType") == "none"
    assert page.locator(".rp-warn").count() == 0  # every day of the period and the previous one is rolled up
    screenshot("reports-moderation-30d")

    # The 7-day preset.
    with page.expect_navigation():
        page.click('a[data-preset="7d"]')
    assert "preset=7d" in page.url
    assert page.get_attribute(BACKLOG_CHART, "data-points") == "7"
    week_text = page.inner_text("#report-period")
    assert week_text != month_text
    assert compared(today - dt.timedelta(days=6), today) in week_text
    assert page.get_attribute('a[data-preset="7d"]', "aria-current") == "true"
    screenshot("reports-moderation-7d")

    # A custom range from the form: 12 days ending a week ago.
    start, end = today - dt.timedelta(days=18), today - dt.timedelta(days=7)
    page.fill("#id_start", f"{start:%Y-%m-%d}")
    page.fill("#id_end", f"{end:%Y-%m-%d}")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert page.get_attribute(BACKLOG_CHART, "data-points") == "12"
    custom_text = page.inner_text("#report-period")
    assert compared(start, end) in custom_text
    assert page.locator("#table-backlog tbody tr").count() == 12
    assert page.locator("#table-backlog tbody tr th").first.inner_text() == f"{start:%Y-%m-%d}"
    assert page.locator('.rp-presets a[aria-current="true"]').count() == 0
    assert page.input_value("#id_start") == f"{start:%Y-%m-%d}"
    screenshot("reports-moderation-custom")

    # The page's CSV: every table of the page, for the period shown.
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == f"report-moderation-{start}_{end}.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["Report", "Moderation"]
    assert rows[1] == ["Period", span(start, end)]
    assert rows[2][0] == "Compared with"
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == MODERATION_TABLES
    backlog_at = rows.index(["Backlog at the end of each day"])
    assert rows[backlog_at + 2][0] == f"{start:%Y-%m-%d}"
    assert rows[backlog_at + 13][0] == f"{end:%Y-%m-%d}"

    # Korean text: province names in the funnel's per-region table.
    page.click('.rp-tabs a:has-text("Marketplace funnel")')
    page.wait_for_selector("#table-reports-by-region")
    assert compared(start, end) in page.inner_text("#report-period")  # the tabs keep the period
    assert "서울특별시" in page.inner_text("#table-reports-by-region")
    screenshot("reports-funnel-custom")

    # The same page for a browser that asks for Korean (LocaleMiddleware): it renders, with its charts.
    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 900})
    try:
        korean = context.new_page()
        korean.goto(f"{live_server.url}/admin/login/?next=/admin/reports/moderation/%3Fpreset%3D7d")
        korean.fill("#id_username", "analyst-browser")
        korean.fill("#id_password", "correct-horse-battery")
        korean.click("input[type=submit]")
        korean.wait_for_selector(BACKLOG_CHART)
        assert korean.get_attribute("html", "lang") == "ko"
        assert korean.get_attribute(BACKLOG_CHART, "data-points") == "7"
        assert "서울특별시" in korean.inner_text("#id_region")
        korean.screenshot(path=str(SCREENSHOTS / "reports-moderation-7d-ko.png"), full_page=True)
    finally:
        context.close()
