"""Two moderators decide the same case at the same moment, on two PostgreSQL connections: one decision wins,
the other is refused with a clear message, and nothing is applied twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from backoffice.models import OutboxEvent
from moderation.actions import common, decisions
from moderation.actions.decisions import DecisionRequest
from moderation.models import Case, CaseStatus, Decision
from tests.factories import JobPostingFactory
from tests.moderation.conftest import file_report, make_user, template


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_moderators_one_decision(require_postgres: None) -> None:
    assert connection.vendor == "postgresql"
    first, second = make_user("Moderator", "racer-1"), make_user("Moderator", "racer-2")
    case = file_report(JobPostingFactory(), "scam").case
    seen_version = case.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(user, action: str, code: str) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            decisions.case_decide(
                user=user,
                case=Case.objects.get(pk=case.pk),
                request=DecisionRequest(action=action, expected_version=seen_version, reason_template=template(code)),
            )
            outcomes[user.username] = "applied"
        except common.ModerationError as exc:
            outcomes[user.username] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(first, "remove", "remove-false-ad")),
        threading.Thread(target=decide, args=(second, "approve", "approve-no-violation")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["racer-1", "racer-2"]
    applied = [name for name, outcome in outcomes.items() if outcome == "applied"]
    refused = [outcome for outcome in outcomes.values() if outcome != "applied"]
    assert len(applied) == 1, outcomes
    # The loser waited on the row lock, then learns who decided first; nothing of theirs was applied.
    assert "already decided" in refused[0] and "racer-" in refused[0] and "Nothing was applied" in refused[0]
    assert Decision.objects.filter(case_id=case.pk).count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    # Exactly one announcement of the outcome.
    assert OutboxEvent.objects.filter(type="report.resolved").count() == 1
