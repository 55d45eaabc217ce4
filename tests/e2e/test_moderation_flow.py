"""A moderator works the queue in a real browser: open the queue, claim the top case, remove the posting with
a reason template, and see the audit entry. Screenshots of the queue and the case page are saved."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backoffice.roles import MODERATOR
from jobs.models import PostingStatus
from moderation.actions.intake import HitInput, HitsRecord, hits_record
from moderation.models import Case, CaseStatus, Rule, RuleMode
from tests.factories import JobPostingFactory, UserFactory
from tests.moderation.conftest import file_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_moderator_claims_and_removes_the_top_case(live_server, page, screenshot) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username="mod-browser")
    user.groups.add(Group.objects.get(name=MODERATOR))
    urgent = JobPostingFactory(
        title="고액 알바 현금 수거 당일 지급",
        description="하루 40만원 당일 지급. 현금 수거 업무, 연락은 카톡 abc123 으로.",
    )
    rule = Rule.objects.create(
        name="현금 수거", kind="keywords", clause="P5-crime-recruitment", weight=60, mode=RuleMode.FLAG, enabled=True
    )
    start = urgent.description.index("현금 수거")
    hits_record(
        [
            HitsRecord(
                posting=urgent,
                hits=[
                    HitInput(
                        rule,
                        {
                            "spans": [{"field": "description", "start": start, "end": start + 5, "text": "현금 수거"}],
                            "summary": "P5",
                        },
                    )
                ],
            )
        ]
    )
    for i in range(3):
        file_report(urgent, "scam", reporter=f"sk-e2e-{i}")
    calm = JobPostingFactory(title="카페 주말 알바")
    file_report(calm, "duplicate")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "mod-browser")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/moderation/case/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert "고액 알바 현금 수거" in rows.first.inner_text()  # urgent first
    screenshot("moderation-queue")

    # Keyboard: the first row is selected; "o" opens it.
    page.keyboard.press("o")
    page.wait_for_selector("#case")
    page.click("#claim-button")
    page.wait_for_selector(".claim.mine")
    assert page.locator("mark.evidence").first.inner_text() == "현금 수거"
    page.select_option(
        "select[name=template_remove]", label="Recruiting for crime (money mules) (P5-crime-recruitment)"
    )
    page.uncheck("input[name=then]")
    page.click("#remove-button")
    page.wait_for_selector("#audit-trail")
    assert "You can undo it" in page.inner_text(".messagelist")
    audit = page.inner_text("#audit-trail")
    assert "case.decided" in audit and "mod-browser" in audit
    assert "posting.status_changed" in audit
    screenshot("moderation-case-after-removal")

    urgent.refresh_from_db()
    assert urgent.status == PostingStatus.HIDDEN
    case = Case.objects.get(posting=urgent)
    assert case.status == CaseStatus.RESOLVED
    # The system hid it first (score over the auto-hide threshold); the moderator confirmed the removal.
    assert case.decisions.get(moderator__isnull=False).moderator.username == "mod-browser"
    assert case.decisions.filter(moderator__isnull=True).count() == 1
