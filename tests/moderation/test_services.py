"""Moderation services: intake, claims, decisions, undo, appeals, second reviews — and what they leave behind
(audit rows, outbox events, reporter accuracy, the posting's status)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from backoffice.actions import one
from backoffice.audit import Actor
from backoffice.models import AuditLog, OutboxEvent
from jobs.models import AccountStatus, PostingStatus
from moderation.actions import appeals, claims, common, decisions, intake
from moderation.actions.decisions import DecisionRequest
from moderation.actions.intake import HitInput
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    DecisionAction,
    ReporterStats,
    ReportStatus,
    Rule,
    RuleHit,
    RuleMode,
    Sanction,
    SanctionKind,
    SecondReview,
)
from tests.factories import EmployerFactory, JobPostingFactory, SeekerFactory
from tests.moderation.conftest import file_report, template

pytestmark = pytest.mark.django_db


def remove(case: Case, **kwargs: object) -> DecisionRequest:
    return DecisionRequest(
        action=DecisionAction.REMOVE,
        expected_version=case.version,
        reason_template=template("remove-false-ad"),
        **kwargs,
    )


def approve(case: Case) -> DecisionRequest:
    return DecisionRequest(
        action=DecisionAction.APPROVE, expected_version=case.version, reason_template=template("approve-no-violation")
    )


class TestIntake:
    def test_one_open_case_per_target_fed_by_reports(self) -> None:
        posting = JobPostingFactory()
        first = file_report(posting, "scam", reporter="sk-a")
        second = file_report(posting, "spam", reporter="sk-b")
        again = file_report(posting, "scam", reporter="sk-a")
        assert first.case_id == second.case_id == again.case_id
        case = Case.objects.get()
        assert (case.report_count, case.reporter_count) == (3, 2)
        assert case.status == CaseStatus.OPEN
        assert case.events.filter(kind="opened").count() == 1
        assert AuditLog.objects.filter(action="report.filed").count() == 3

    def test_replayed_report_is_recorded_once(self) -> None:
        posting = JobPostingFactory()
        args = {
            "actor": Actor.marketplace(),
            "external_id": "r-x",
            "reporter_kind": "seeker",
            "reporter_external_id": "sk-1",
            "target": posting,
            "reason": "spam",
        }
        one(intake.reports_file([intake.ReportFiling(**args)]))
        one(intake.reports_file([intake.ReportFiling(**args)]))
        assert Case.objects.get().report_count == 1
        assert ReporterStats.objects.get().reports_filed == 1

    def test_reports_on_accounts_open_their_own_cases(self) -> None:
        employer = EmployerFactory()
        seeker = SeekerFactory()
        file_report(employer, "scam")
        file_report(seeker, "inappropriate")
        assert set(Case.objects.values_list("target_kind", flat=True)) == {"employer", "seeker"}

    def test_priority_rises_with_reporters_and_sets_due_time(self) -> None:
        posting = JobPostingFactory()
        case = file_report(posting, "spam").case
        low_score, low_due = case.score, case.due_at
        for i in range(4):
            file_report(posting, "scam", reporter=f"sk-more-{i}")
        case.refresh_from_db()
        assert case.score > low_score
        assert case.due_at < low_due

    def test_auto_hide_when_the_score_passes_the_threshold(self, settings) -> None:  # type: ignore[no-untyped-def]
        settings.MODERATION = {**settings.MODERATION, "AUTO_HIDE_SCORE": 40}
        posting = JobPostingFactory()
        for i in range(3):
            file_report(posting, "scam", reporter=f"sk-{i}-auto")
        posting.refresh_from_db()
        case = Case.objects.get()
        assert posting.status == PostingStatus.HIDDEN
        assert case.auto_hidden and case.status == CaseStatus.OPEN  # a person still confirms
        decision = case.decisions.get()
        assert decision.moderator is None and decision.action == DecisionAction.REMOVE
        event = OutboxEvent.objects.get(type="posting.moderated")
        assert event.payload["decided_by"] == "system" and event.payload["status"] == "hidden"

    def test_rule_hits_open_a_case_and_auto_hide_rules_hide_at_once(self) -> None:
        posting = JobPostingFactory()
        flag = Rule.objects.create(
            name="contact", kind="contact", clause="P4-off-platform", weight=30, mode=RuleMode.FLAG, enabled=True
        )
        dry = Rule.objects.create(
            name="dry", kind="keywords", clause="P1-false-ad", weight=30, mode=RuleMode.DRY_RUN, enabled=True
        )
        evidence = {"spans": [{"field": "description", "start": 0, "end": 3, "text": "010"}], "summary": "phone"}
        case = intake.hits_record(
            [intake.HitsRecord(posting=posting, hits=[HitInput(flag, evidence), HitInput(dry, {})])]
        )[0].value
        assert case is not None and case.hit_count == 1
        assert RuleHit.objects.filter(case__isnull=True, rule=dry).count() == 1
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED
        hide = Rule.objects.create(
            name="mule",
            kind="keywords",
            clause="P5-crime-recruitment",
            weight=60,
            mode=RuleMode.AUTO_HIDE,
            enabled=True,
        )
        intake.hits_record([intake.HitsRecord(posting=posting, hits=[HitInput(hide, {})])])
        posting.refresh_from_db()
        assert posting.status == PostingStatus.HIDDEN


class TestClaims:
    def test_claim_conflict_and_senior_takeover(self, reported_case, moderator, moderator2, senior) -> None:  # type: ignore[no-untyped-def]
        claims.case_claim(user=moderator, case=reported_case)
        with pytest.raises(common.ClaimConflictError, match="mod1 is working on this case"):
            claims.case_claim(user=moderator2, case=reported_case)
        taken = claims.case_claim(user=senior, case=reported_case)
        assert taken.claimed_by == senior
        assert AuditLog.objects.filter(action="case.claim_taken_over", metadata__from="mod1").exists()

    def test_nobody_decides_a_case_claimed_by_someone_else(self, reported_case, moderator, moderator2) -> None:  # type: ignore[no-untyped-def]
        claimed = claims.case_claim(user=moderator, case=reported_case)
        with pytest.raises(common.ClaimConflictError):
            decisions.case_decide(user=moderator2, case=claimed, request=remove(claimed))

    def test_expired_claims_are_released(self, reported_case, moderator, moderator2) -> None:  # type: ignore[no-untyped-def]
        claims.case_claim(user=moderator, case=reported_case, now=timezone.now() - dt.timedelta(hours=1))
        assert claims.claims_release_expired() == 1
        assert claims.claims_release_expired() == 0
        reported_case.refresh_from_db()
        assert reported_case.claimed_by is None
        claims.case_claim(user=moderator2, case=reported_case)  # free for anyone now


class TestDecisions:
    def test_remove_hides_upholds_reports_and_announces(self, reported_case, moderator) -> None:  # type: ignore[no-untyped-def]
        case = claims.case_claim(user=moderator, case=reported_case)
        decision = decisions.case_decide(user=moderator, case=case, request=remove(case, note="현금 수거"))
        case.refresh_from_db()
        posting = case.posting
        posting.refresh_from_db()
        assert posting.status == PostingStatus.HIDDEN
        assert case.status == CaseStatus.RESOLVED and case.claimed_by is None
        assert set(case.reports.values_list("status", flat=True)) == {ReportStatus.UPHELD}
        assert ReporterStats.objects.get().reports_upheld == 1
        types = list(OutboxEvent.objects.order_by("id").values_list("type", flat=True))
        assert types == ["posting.moderated", "report.resolved"]
        moderated = OutboxEvent.objects.get(type="posting.moderated").payload
        assert moderated == {
            "posting_id": posting.external_id,
            "status": "hidden",
            "reason_code": "P1-false-ad",
            "decided_by": "staff",
            "case_id": str(case.pk),
        }
        entry = AuditLog.objects.get(action="case.decided")
        assert entry.actor == moderator and entry.metadata["decision"] == decision.pk

    def test_stale_view_is_refused_and_nothing_applied(self, reported_case, moderator) -> None:  # type: ignore[no-untyped-def]
        seen_version = reported_case.version
        file_report(reported_case.posting, "scam", reporter="late-reporter")  # the case changes meanwhile
        with pytest.raises(common.StaleCaseError, match="changed while you were looking"):
            decisions.case_decide(
                user=moderator,
                case=reported_case,
                request=DecisionRequest(
                    action="remove", expected_version=seen_version, reason_template=template("remove-false-ad")
                ),
            )
        reported_case.posting.refresh_from_db()
        assert reported_case.posting.status == PostingStatus.PUBLISHED
        assert not OutboxEvent.objects.exists()

    def test_a_decision_is_never_applied_twice(self, reported_case, moderator) -> None:  # type: ignore[no-untyped-def]
        request = remove(reported_case)
        decisions.case_decide(user=moderator, case=reported_case, request=request)
        with pytest.raises(common.ModerationError):
            decisions.case_decide(user=moderator, case=reported_case, request=request)
        assert reported_case.decisions.count() == 1

    def test_template_must_fit_the_action(self, reported_case, moderator) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(common.ModerationError, match="does not fit"):
            decisions.case_decide(
                user=moderator,
                case=reported_case,
                request=DecisionRequest(
                    action="approve",
                    expected_version=reported_case.version,
                    reason_template=template("remove-false-ad"),
                ),
            )
        with pytest.raises(common.ModerationError, match="reason template"):
            decisions.case_decide(
                user=moderator,
                case=reported_case,
                request=DecisionRequest(action="remove", expected_version=reported_case.version),
            )

    def test_approve_publishes_a_pending_posting(self, moderator) -> None:  # type: ignore[no-untyped-def]
        posting = JobPostingFactory(status=PostingStatus.PENDING_REVIEW, published_at=None, expires_at=None)
        case = file_report(posting, "other").case
        decisions.case_decide(user=moderator, case=case, request=approve(case))
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED
        assert ReporterStats.objects.get().reports_dismissed == 1

    def test_escalation_needs_a_note_and_then_a_senior(self, reported_case, moderator, senior) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(common.ModerationError, match="note"):
            decisions.case_decide(
                user=moderator,
                case=reported_case,
                request=DecisionRequest(action="escalate", expected_version=reported_case.version),
            )
        decisions.case_decide(
            user=moderator,
            case=reported_case,
            request=DecisionRequest(action="escalate", expected_version=reported_case.version, note="보이스피싱 의심"),
        )
        reported_case.refresh_from_db()
        assert reported_case.status == CaseStatus.ESCALATED
        with pytest.raises(PermissionDenied):
            claims.case_claim(user=moderator, case=reported_case)
        decisions.case_decide(user=senior, case=reported_case, request=remove(reported_case))
        reported_case.refresh_from_db()
        assert reported_case.status == CaseStatus.RESOLVED

    def test_sanctions_escalate_with_strikes_and_ban_needs_a_senior(self, moderator, senior) -> None:  # type: ignore[no-untyped-def]
        employer = EmployerFactory()
        kinds = []
        for _ in range(3):
            case = file_report(JobPostingFactory(employer=employer), "scam").case
            decisions.case_decide(
                user=moderator,
                case=case,
                request=DecisionRequest(
                    action="sanction", expected_version=case.version, reason_template=template("sanction-false-ad")
                ),
            )
            kinds.append(Sanction.objects.latest("id").kind)
        assert kinds == [SanctionKind.WARNING, SanctionKind.SUSPENSION, SanctionKind.SUSPENSION]
        employer.refresh_from_db()
        assert employer.account_status == AccountStatus.SUSPENDED
        fourth = file_report(JobPostingFactory(employer=employer), "scam").case
        request = DecisionRequest(
            action="sanction", expected_version=fourth.version, reason_template=template("sanction-false-ad")
        )
        with pytest.raises(PermissionDenied, match="ban"):
            decisions.case_decide(user=moderator, case=fourth, request=request)
        decisions.case_decide(user=senior, case=fourth, request=request)
        employer.refresh_from_db()
        assert employer.account_status == AccountStatus.BANNED
        assert OutboxEvent.objects.filter(type="sanction.applied", payload__sanction="ban").count() == 1

    def test_dismissing_reports_restores_an_auto_hidden_posting(self, settings, moderator) -> None:  # type: ignore[no-untyped-def]
        settings.MODERATION = {**settings.MODERATION, "AUTO_HIDE_SCORE": 10}
        posting = JobPostingFactory()
        case = file_report(posting, "scam").case
        posting.refresh_from_db()
        assert posting.status == PostingStatus.HIDDEN
        case.refresh_from_db()
        decisions.case_decide(
            user=moderator,
            case=case,
            request=DecisionRequest(
                action="dismiss", expected_version=case.version, reason_template=template("dismiss-unfounded")
            ),
        )
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED


class TestUndo:
    def test_undo_within_the_window_restores_everything(self, reported_case, moderator) -> None:  # type: ignore[no-untyped-def]
        decision = decisions.case_decide(user=moderator, case=reported_case, request=remove(reported_case))
        decisions.decision_undo(user=moderator, decision=decision, note="wrong case")
        reported_case.refresh_from_db()
        reported_case.posting.refresh_from_db()
        assert reported_case.posting.status == PostingStatus.PUBLISHED
        assert reported_case.status == CaseStatus.OPEN and reported_case.claimed_by == moderator
        assert set(reported_case.reports.values_list("status", flat=True)) == {ReportStatus.OPEN}
        assert ReporterStats.objects.get().reports_upheld == 0
        assert AuditLog.objects.filter(action="decision.undone", note="wrong case").exists()
        assert OutboxEvent.objects.filter(type="posting.moderated", payload__status="published").exists()

    def test_undo_after_the_window_or_by_someone_else_is_refused(self, reported_case, moderator, moderator2) -> None:  # type: ignore[no-untyped-def]
        decision = decisions.case_decide(user=moderator, case=reported_case, request=remove(reported_case))
        with pytest.raises(PermissionDenied):
            decisions.decision_undo(user=moderator2, decision=decision)
        decision.created_at = timezone.now() - dt.timedelta(hours=1)
        decision.save(update_fields=["created_at"])
        with pytest.raises(common.ModerationError, match="window"):
            decisions.decision_undo(user=moderator, decision=decision)


class TestAppealsAndSecondReviews:
    def test_appeal_reopens_for_a_different_moderator_and_records_overturn(
        self, reported_case, moderator, moderator2
    ) -> None:  # type: ignore[no-untyped-def]
        decision = decisions.case_decide(user=moderator, case=reported_case, request=remove(reported_case))
        appeal = appeals.appeal_file(actor=Actor.marketplace(), decision=decision, text="정상 공고입니다")
        case = Case.objects.get(pk=appeal.case_id)
        assert case.status == CaseStatus.OPEN and case.is_appeal
        with pytest.raises(PermissionDenied, match="another moderator"):
            claims.case_claim(user=moderator, case=case)
        decisions.case_decide(user=moderator2, case=case, request=approve(case))
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.OVERTURNED
        case.posting.refresh_from_db()
        assert case.posting.status == PostingStatus.PUBLISHED

    def test_sampled_approvals_go_to_a_second_moderator(self, moderator, moderator2) -> None:  # type: ignore[no-untyped-def]
        case = file_report(JobPostingFactory(), "other").case
        decision = decisions.case_decide(user=moderator, case=case, request=approve(case), draw=0.0)
        review = SecondReview.objects.get(decision=decision)
        with pytest.raises(PermissionDenied):
            decisions.second_review_complete(user=moderator, review=review, agreed=True)
        decisions.second_review_complete(user=moderator2, review=review, agreed=False, note="급여 미달")
        review.refresh_from_db()
        assert (review.status, review.reviewer) == ("disagreed", moderator2)
        other = file_report(JobPostingFactory(), "other").case
        decisions.case_decide(user=moderator, case=other, request=approve(other), draw=0.99)
        assert SecondReview.objects.count() == 1
        assert Appeal.objects.count() == 0
