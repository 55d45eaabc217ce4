"""A moderator logs into the themed admin in a real browser and finds postings by district."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backoffice.roles import MODERATOR
from tests.factories import JobPostingFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_moderator_logs_in_and_filters_postings(live_server, page, screenshot) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username="mod-e2e")
    user.groups.add(Group.objects.get(name=MODERATOR))
    JobPostingFactory(title="강남 카페 바리스타 모집", region_code="1168010100")
    JobPostingFactory(title="마포 편의점 야간", region_code="1144012400")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "mod-e2e")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
    # django-admin-interface's theme is active (its stylesheet class on the body).
    assert "admin-interface" in (page.get_attribute("body", "class") or "")
    screenshot("admin-index-moderator")

    page.goto(f"{live_server.url}/admin/jobs/jobposting/")
    assert page.locator("#result_list tbody tr").count() == 2
    page.goto(f"{live_server.url}/admin/jobs/jobposting/?district=11680")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "강남 카페 바리스타 모집" in rows.first.inner_text()
    screenshot("posting-changelist-district-filter")
