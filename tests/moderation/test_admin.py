"""The review queue and the case page as staff use them, and who may do what (server-side)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.audit import Actor
from backoffice.models import AuditLog
from jobs.models import PostingStatus
from moderation.actions import appeals, claims, common, decisions, intake
from moderation.actions.decisions import DecisionRequest
from moderation.actions.intake import HitInput
from moderation.models import Case, CaseStatus, DecisionAction, Rule, RuleMode
from tests.factories import JobPostingFactory
from tests.moderation.conftest import file_report, make_user, template

pytestmark = pytest.mark.django_db

QUEUE = "admin:moderation_case_changelist"


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def queries(client: Client, url: str) -> tuple[int, list[str]]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def make_cases(n: int) -> list[Case]:
    return [file_report(JobPostingFactory(), "scam").case for _ in range(n)]


class TestQueuePage:
    def test_constant_queries_whatever_the_backlog(self, moderator) -> None:  # type: ignore[no-untyped-def]
        client = client_for(moderator)
        make_cases(3)
        small, _ = queries(client, reverse(QUEUE))
        cases = make_cases(27)
        claims.case_claim(user=moderator, case=cases[0])
        large, sql = queries(client, reverse(QUEUE))
        assert large == small, "\n".join(sql)

    def test_ordered_by_priority_then_age_with_backlog_and_sla(self, moderator) -> None:  # type: ignore[no-untyped-def]
        calm = file_report(JobPostingFactory(title="조용한 공고"), "duplicate").case
        posting = JobPostingFactory(title="급한 공고")
        for i in range(5):
            file_report(posting, "scam", reporter=f"sk-urgent-{i}")
        page = client_for(moderator).get(reverse(QUEUE)).content.decode()
        assert page.index("급한 공고") < page.index("조용한 공고")
        assert 'class="backlog-count"' in page
        assert "due in" in page
        assert calm.pk

    def test_filters_mine_and_overdue(self, moderator) -> None:  # type: ignore[no-untyped-def]
        first, second = make_cases(2)
        claims.case_claim(user=moderator, case=first)
        client = client_for(moderator)
        mine = client.get(reverse(QUEUE) + "?assignee=mine").content.decode()
        assert f">#{first.pk}<" in mine and f">#{second.pk}<" not in mine
        Case.objects.filter(pk=second.pk).update(due_at=second.opened_at)
        overdue = client.get(reverse(QUEUE) + "?sla=overdue").content.decode()
        assert f">#{second.pk}<" in overdue and "overdue" in overdue

    def test_backlog_count_in_the_navigation(self, moderator) -> None:  # type: ignore[no-untyped-def]
        make_cases(3)
        page = client_for(moderator).get(reverse("admin:index")).content.decode()
        assert "Review queue (3)" in page


class TestCasePage:
    def test_shows_evidence_reports_history_and_timeline_in_constant_queries(self, moderator) -> None:  # type: ignore[no-untyped-def]
        posting = JobPostingFactory(description="연락은 010-1234-5678 로 주세요")
        rule = Rule.objects.create(
            name="전화번호", kind="contact", clause="P4-off-platform", weight=30, mode=RuleMode.FLAG, enabled=True
        )
        case = intake.hits_record(
            [
                intake.HitsRecord(
                    posting=posting,
                    hits=[
                        HitInput(
                            rule,
                            {
                                "spans": [{"field": "description", "start": 4, "end": 17, "text": "010-1234-5678"}],
                                "summary": "phone",
                            },
                        )
                    ],
                )
            ]
        )[0].value
        file_report(posting, "scam", text="사기 같아요")
        url = reverse("admin:moderation_case_change", args=[case.pk])
        client = client_for(moderator)
        small, _ = queries(client, url)
        page = client.get(url).content.decode()
        assert '<mark class="evidence" title="전화번호">010-1234-5678</mark>' in page
        assert "사기 같아요" in page and "Rules fired" in page
        for i in range(8):
            file_report(posting, "spam", reporter=f"sk-extra-{i}")
        for other in range(5):
            file_report(JobPostingFactory(employer=posting.employer), "scam", reporter=f"sk-hist-{other}")
        large, sql = queries(client, url)
        assert large == small, "\n".join(sql)

    def test_claim_then_remove_with_one_click_and_undo(self, moderator) -> None:  # type: ignore[no-untyped-def]
        (case,) = make_cases(1)
        client = client_for(moderator)
        client.post(reverse("admin:moderation_case_claim", args=[case.pk]))
        case.refresh_from_db()
        assert case.claimed_by == moderator
        response = client.post(
            reverse("admin:moderation_case_decide", args=[case.pk]),
            {
                "action": "remove",
                "expected_version": case.version,
                "template_remove": template("remove-false-ad").pk,
                "remove_mode": "hide",
            },
            follow=True,
        )
        assert "You can undo it" in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.RESOLVED
        assert case.posting.status == PostingStatus.HIDDEN
        decision = case.decisions.get()
        page = client.get(reverse("admin:moderation_case_change", args=[case.pk])).content.decode()
        assert 'id="undo-button"' in page
        client.post(reverse("admin:moderation_case_undo", args=[case.pk, decision.pk]))
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN

    def test_stale_form_gets_a_clear_message(self, moderator) -> None:  # type: ignore[no-untyped-def]
        (case,) = make_cases(1)
        stale_version = case.version
        file_report(case.posting, "scam", reporter="someone-new")
        response = client_for(moderator).post(
            reverse("admin:moderation_case_decide", args=[case.pk]),
            {"action": "remove", "expected_version": stale_version, "template_remove": template("remove-false-ad").pk},
            follow=True,
        )
        assert "changed while you were looking at it" in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN

    def test_bulk_decision_goes_through_a_confirmation_page(self, moderator) -> None:  # type: ignore[no-untyped-def]
        cases = make_cases(2)
        client = client_for(moderator)
        ids = [c.pk for c in cases]
        confirm = client.post(reverse(QUEUE), {"action": "bulk_approve", "_selected_action": ids})
        assert "Yes, decide them" in confirm.content.decode()
        assert Case.objects.filter(status=CaseStatus.RESOLVED).count() == 0
        form = {
            "action": "bulk_approve",
            "_selected_action": ids,
            "confirm": "yes",
            "template": template("approve-no-violation").pk,
        }
        form.update({f"version_{c.pk}": c.version for c in cases})
        done = client.post(reverse(QUEUE), form, follow=True)
        assert "2 cases decided." in done.content.decode()
        assert Case.objects.filter(status=CaseStatus.RESOLVED).count() == 2
        assert AuditLog.objects.filter(action="case.decided").count() == 2


# --- role × action matrix (server-side: the services refuse, whatever the entry point) ---------------------
def claim(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    claims.case_claim(user=user, case=case)


def decide_remove(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    decisions.case_decide(
        user=user,
        case=case,
        request=DecisionRequest(
            action="remove", expected_version=case.version, reason_template=template("remove-false-ad")
        ),
    )


def take_over(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    other = make_user("Moderator")
    claims.case_claim(user=other, case=case)
    case.refresh_from_db()
    claims.case_claim(user=user, case=case)


def handle_escalated(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ESCALATED)
    case.refresh_from_db()
    decide_remove(user, case)


def ban(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    decisions.case_decide(
        user=user,
        case=case,
        request=DecisionRequest(
            action="sanction",
            expected_version=case.version,
            reason_template=template("sanction-false-ad"),
            sanction_kind="ban",
        ),
    )


def undo_someone_elses(user, case: Case) -> None:  # type: ignore[no-untyped-def]
    decider = make_user("Moderator")
    decision = decisions.case_decide(
        user=decider,
        case=case,
        request=DecisionRequest(
            action=DecisionAction.REMOVE, expected_version=case.version, reason_template=template("remove-false-ad")
        ),
    )
    decisions.decision_undo(user=user, decision=decision)


ACTIONS: dict[str, Callable[..., None]] = {
    "claim": claim,
    "decide": decide_remove,
    "take_over": take_over,
    "handle_escalated": handle_escalated,
    "ban": ban,
    "undo_others": undo_someone_elses,
}
ALLOWED = {
    "Moderator": {"claim", "decide"},
    "Senior moderator": set(ACTIONS),
    "Ops admin": set(ACTIONS),
    "Analyst": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_action_matrix(role: str, action: str) -> None:
    user = make_user(role)
    (case,) = make_cases(1)
    allowed = action in ALLOWED[role]
    try:
        ACTIONS[action](user, case)
        outcome = True
    except (PermissionDenied, common.ClaimConflictError):
        # A claim conflict is how "not allowed to take over" reads to a moderator.
        outcome = False
    assert outcome == allowed, f"{role} {action}: expected {'allowed' if allowed else 'refused'}"


def test_analyst_sees_the_queue_but_gets_no_decision_form(analyst) -> None:  # type: ignore[no-untyped-def]
    (case,) = make_cases(1)
    client = client_for(analyst)
    assert client.get(reverse(QUEUE)).status_code == 200
    page = client.get(reverse("admin:moderation_case_change", args=[case.pk])).content.decode()
    assert "decision-form" not in page and 'id="claim-button"' not in page
    client.post(reverse("admin:moderation_case_claim", args=[case.pk]))
    case.refresh_from_db()
    assert case.claimed_by is None


def test_staff_record_an_appeal_and_the_case_returns_to_the_queue(moderator, moderator2) -> None:  # type: ignore[no-untyped-def]
    (case,) = make_cases(1)
    decision = decisions.case_decide(
        user=moderator,
        case=case,
        request=DecisionRequest(
            action="remove", expected_version=case.version, reason_template=template("remove-false-ad")
        ),
    )
    client = client_for(moderator2)
    url = reverse("admin:moderation_decision_changelist")
    form = client.post(url, {"action": "record_appeal", "_selected_action": [decision.pk]})
    assert "Record the appeal" in form.content.decode()
    done = client.post(
        url,
        {"action": "record_appeal", "_selected_action": [decision.pk], "confirm": "yes", "text": "정상 공고입니다"},
        follow=True,
    )
    assert "is back in the queue" in done.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.is_appeal and case.excluded_moderator == moderator


def test_release_expired_claims_task(moderator) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from moderation.tasks import release_expired_claims

    (case,) = make_cases(1)
    claims.case_claim(user=moderator, case=case, now=timezone.now() - dt.timedelta(hours=1))
    assert release_expired_claims.apply().get() == {"released": 1}
    case.refresh_from_db()
    assert case.claimed_by is None


def _history(n: int, moderator, other) -> None:  # type: ignore[no-untyped-def]
    rule = Rule.objects.get_or_create(
        name="history-rule", defaults={"kind": "keywords", "clause": "P1-false-ad", "weight": 10, "mode": RuleMode.FLAG}
    )[0]
    for _ in range(n):
        posting = JobPostingFactory()
        hits_case = intake.hits_record([intake.HitsRecord(posting=posting, hits=[HitInput(rule, {})])])[0].value
        case = file_report(posting, "scam").case
        assert hits_case is not None and hits_case.pk == case.pk
        case.refresh_from_db()
        decision = decisions.case_decide(
            user=moderator,
            case=case,
            request=DecisionRequest(
                action="sanction", expected_version=case.version, reason_template=template("sanction-false-ad")
            ),
        )
        appeals.appeal_file(actor=Actor.marketplace(), decision=decision, text="이의")
        approved_case = file_report(JobPostingFactory(), "other").case
        decisions.case_decide(
            user=other,
            case=approved_case,
            request=DecisionRequest(
                action="approve",
                expected_version=approved_case.version,
                reason_template=template("approve-no-violation"),
            ),
            draw=0.0,
        )


@pytest.mark.parametrize(
    "model",
    ["report", "rulehit", "decision", "sanction", "appeal", "secondreview", "reporterstats", "reasontemplate", "rule"],
)
def test_moderation_changelists_run_constant_queries(model: str, senior, moderator2) -> None:  # type: ignore[no-untyped-def]
    client = client_for(senior)
    url = reverse(f"admin:moderation_{model}_changelist")
    _history(2, senior, moderator2)
    small, _ = queries(client, url)
    _history(6, senior, moderator2)
    large, sql = queries(client, url)
    assert large == small, "\n".join(sql)
