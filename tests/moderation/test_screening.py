"""Screening on ingestion (posting_changed → rules → hits, case, publication), the batch API's query count,
and the admin: the dry-run action and config validation on save."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.audit import Actor
from backoffice.models import AuditLog
from backoffice.roles import MODERATOR, OPS_ADMIN
from jobs.models import CloseReason, JobPosting, PostingStatus
from moderation import screening
from moderation.models import Case, CaseStatus, Rule, RuleHit, RuleMode
from moderation.rules.contact import ContactEvaluator
from tests.factories import EmployerFactory, JobPostingFactory
from tests.jobs import calls as jobs_services
from tests.moderation.conftest import file_report, make_user

pytestmark = pytest.mark.django_db
DEFAULTS = importlib.import_module("moderation.migrations.0005_default_rules")
CONTACT_RULE = "P4 연락처 기재 (전화·메신저·이메일·링크)"
DUPLICATE_RULE = "P7 같은 고용주의 최근 공고와 중복 (7일)"
_ids = itertools.count(1)

CLEAN = "역삼동 편의점 야간 근무자 구합니다. 주 20시간, 시급 11,000원, 주휴수당 별도. 앱으로 지원해 주세요."


@pytest.fixture
def default_rules(db: None) -> dict[str, Rule]:
    """The migration's rules (put back if a transactional test flushed them)."""
    DEFAULTS.seed(apps, None)
    return {rule.name: rule for rule in Rule.objects.all()}


@pytest.fixture
def only(db: None) -> Callable[..., Rule]:
    """Disable every rule, then enable just the ones a test creates."""
    Rule.objects.update(enabled=False)

    def make(kind: str, config: dict[str, Any], mode: str = RuleMode.FLAG, weight: int = 30) -> Rule:
        return Rule.objects.create(
            name=f"test-{kind}-{next(_ids)}",
            kind=kind,
            clause="P4-off-platform",
            config=config,
            mode=mode,
            weight=weight,
            enabled=True,
        )

    return make


def create(employer: Any = None, **overrides: Any) -> JobPosting:
    values: dict[str, Any] = {
        "actor": Actor.marketplace(),
        "employer": employer or EmployerFactory(),
        "external_id": f"scr-{next(_ids)}",
        "title": "편의점 야간 알바",
        "description": CLEAN,
        "employment_type": "part_time",
        "wage_type": "hourly",
        "wage_amount": 11_000,
        "hours_per_week": 20,
        "region_code": "1168010100",
        "category": "retail",
    }
    values.update(overrides)
    return jobs_services.posting_create(**values)


# --- ingestion -------------------------------------------------------------------------------------------
class TestScreeningOnIngestion:
    def test_a_clean_posting_is_published_by_screening(self, default_rules, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            posting = create()
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED
        assert not Case.objects.exists() and not RuleHit.objects.exists()
        entry = AuditLog.objects.get(action="posting.status_changed", target_id=str(posting.pk))
        assert entry.actor_kind == "system"

    def test_a_phone_number_opens_a_case_and_the_posting_stays_pending(  # type: ignore[no-untyped-def]
        self, default_rules, django_capture_on_commit_callbacks
    ) -> None:
        description = "편의점 야간 근무자 구합니다. 시급 11,000원. 자세한 건 공일공-1234-5678 로 문자 주세요."
        with django_capture_on_commit_callbacks(execute=True):
            posting = create(description=description)
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PENDING_REVIEW
        case = Case.objects.get(posting=posting)
        assert case.status == CaseStatus.OPEN and case.hit_count == 1
        hit = RuleHit.objects.get(posting=posting)
        assert hit.rule.name == CONTACT_RULE and hit.case == case
        (span,) = hit.evidence["spans"]
        assert description[span["start"] : span["end"]] == span["text"] == "공일공-1234-5678"

    def test_a_dry_run_hit_is_recorded_without_a_case(self, only, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
        rule = only("keywords", {"phrases": ["야간"]}, mode=RuleMode.DRY_RUN)
        with django_capture_on_commit_callbacks(execute=True):
            posting = create()
        hit = RuleHit.objects.get(posting=posting)
        assert hit.rule == rule and hit.case is None and hit.mode == RuleMode.DRY_RUN
        assert not Case.objects.exists()
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED  # dry-run rules never hold a posting back

    def test_money_mule_recruitment_is_hidden_at_once(self, default_rules, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            posting = create(title="현금수거 고액 알바", description="고객에게 현금을 받아 전달하는 간단한 업무입니다.")
        posting.refresh_from_db()
        assert posting.status == PostingStatus.HIDDEN
        case = Case.objects.get(posting=posting)
        assert case.auto_hidden and case.status == CaseStatus.OPEN  # a person confirms or restores

    def test_an_update_is_screened_and_unchanged_content_adds_nothing(  # type: ignore[no-untyped-def]
        self, default_rules, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            posting = create()
        with django_capture_on_commit_callbacks(execute=True):
            jobs_services.posting_update(
                actor=Actor.marketplace(), posting=posting, changes={"description": CLEAN + " 카톡 abc123"}
            )
        assert RuleHit.objects.filter(posting=posting).count() == 1
        # Screening again (a replayed event, a re-run) finds the same evidence: nothing new is recorded.
        result = screening.screen_posting(posting.pk)
        assert result is not None and result.repeated == [CONTACT_RULE] and result.recorded == []
        assert RuleHit.objects.filter(posting=posting).count() == 1
        assert Case.objects.get(posting=posting).hit_count == 1

    def test_a_report_case_keeps_a_clean_posting_pending(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        posting = JobPostingFactory(status=PostingStatus.PENDING_REVIEW, published_at=None, expires_at=None)
        file_report(posting, "scam")
        result = screening.screen_posting(posting.pk)
        assert result is not None and not result.published
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PENDING_REVIEW

    def test_closed_postings_are_not_screened(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        posting = JobPostingFactory(
            description="010-1234-5678", status=PostingStatus.CLOSED, close_reason=CloseReason.FILLED
        )
        assert screening.screen_posting(posting.pk) is None
        assert not RuleHit.objects.exists()

    def test_a_repost_by_the_same_employer_is_a_duplicate(  # type: ignore[no-untyped-def]
        self, default_rules, django_capture_on_commit_callbacks
    ) -> None:
        employer = EmployerFactory()
        with django_capture_on_commit_callbacks(execute=True):
            first = create(employer=employer)
            second = create(employer=employer, title="급구!! 편의점 야간 알바")
            other_employer = create(title="급구!! 편의점 야간 알바")
        hit = RuleHit.objects.get(posting=second)
        assert hit.rule.name == DUPLICATE_RULE and hit.evidence["numbers"]["other_posting_id"] == first.pk
        assert not RuleHit.objects.filter(posting__in=[first, other_employer]).exists()

    def test_a_failing_rule_is_skipped_and_the_posting_still_screened(  # type: ignore[no-untyped-def]
        self, only, monkeypatch, caplog, django_capture_on_commit_callbacks
    ) -> None:
        only("contact", {})
        keywords = only("keywords", {"phrases": ["야간"]})
        broken = only("regex", {"pattern": "("})  # saved around the admin's validation: skipped, logged
        assert broken.pk

        def explode(self: object, view: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(ContactEvaluator, "evaluate", explode)
        with django_capture_on_commit_callbacks(execute=True):
            posting = create()
        assert [hit.rule for hit in RuleHit.objects.filter(posting=posting)] == [keywords]
        assert "boom" in caplog.text and "unusable config" in caplog.text

    def test_deferred_screening_takes_the_batch_at_once(  # type: ignore[no-untyped-def]
        self, default_rules, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        batches: list[list[int]] = []
        real = screening.screen_postings
        monkeypatch.setattr(screening, "screen_postings", lambda ids: batches.append(list(ids)) or real(ids))
        with screening.screening_deferred(), django_capture_on_commit_callbacks(execute=True):
            postings = [create() for _ in range(3)]
        assert batches == [[p.pk for p in postings]]
        assert all(p.status == PostingStatus.PUBLISHED for p in JobPosting.objects.filter(pk__in=batches[0]))


class TestBatchQueries:
    def _count(self, n: int) -> tuple[int, list[str]]:
        # One employer each: the same text twice by one employer would be a duplicate, i.e. a write.
        ids = [JobPostingFactory(title=f"카페 알바 {i}", description=CLEAN).pk for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            results = screening.screen_postings(ids)
        assert len(results) == n and not any(r.recorded or r.published for r in results)
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    def test_loading_is_a_constant_number_of_queries(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        small, _ = self._count(2)
        large, sql = self._count(25)
        assert large == small, "\n".join(sql)
        assert small <= 6

    def _write(self, n: int, description: str) -> tuple[int, list[JobPosting]]:
        # Created with factories (no screening yet); each posting by its own employer.
        postings = [
            JobPostingFactory(
                title=f"카페 알바 {next(_ids)}", description=description, status=PostingStatus.PENDING_REVIEW
            )
            for _ in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            screening.screen_postings([p.pk for p in postings])
        return len(ctx.captured_queries), postings

    def test_writes_are_a_constant_number_of_queries_too(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        """Hits of many postings (cases opened, re-scored, audited) and clean postings published, at once."""
        flagged = "편의점 야간 근무자 구합니다. 시급 11,000원. 자세한 건 010-1234-5678 로 문자 주세요."
        small, _ = self._write(2, flagged)
        large, postings = self._write(12, flagged)
        assert large == small
        assert Case.objects.filter(posting__in=postings, status=CaseStatus.OPEN).count() == 12
        assert (
            AuditLog.objects.filter(
                action="case.rule_hits",
                target_id__in=[
                    str(pk) for pk in Case.objects.filter(posting__in=postings).values_list("pk", flat=True)
                ],
            ).count()
            == 12
        )
        small, _ = self._write(2, CLEAN)
        large, postings = self._write(12, CLEAN)
        assert large == small
        assert all(
            p.status == PostingStatus.PUBLISHED for p in JobPosting.objects.filter(pk__in=[p.pk for p in postings])
        )


class TestPendingSweep:
    def test_postings_left_unscreened_are_screened_by_the_sweep(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        """A consumer killed between its commit and its screening leaves postings pending with no case."""
        pending = PostingStatus.PENDING_REVIEW
        clean = JobPostingFactory(description=CLEAN, status=pending)
        flagged = JobPostingFactory(description="자세한 건 010-1234-5678 로 문자 주세요.", status=pending)
        reported = JobPostingFactory(description=CLEAN, status=pending)
        file_report(reported)
        assert screening.screen_pending() == 0, "too recent: the after-commit screening may still be running"
        assert screening.screen_pending(older_than=dt.timedelta(0)) == 2  # the reported one has its case
        clean.refresh_from_db()
        flagged.refresh_from_db()
        assert clean.status == PostingStatus.PUBLISHED
        assert flagged.status == PostingStatus.PENDING_REVIEW and Case.objects.filter(posting=flagged).exists()
        assert screening.screen_pending(older_than=dt.timedelta(0)) == 0, "nothing left: idempotent"


# --- admin -----------------------------------------------------------------------------------------------
def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestDryRunAction:
    def test_shows_what_a_rule_would_flag_and_writes_nothing(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        ops = make_user(OPS_ADMIN, "ops-dry")
        rule = default_rules[CONTACT_RULE]
        Rule.objects.filter(pk=rule.pk).update(enabled=False)
        flagged = JobPostingFactory(description="문의는 ０１０-1234-5678 로 주세요 & <b>굵게</b>")
        JobPostingFactory(description=CLEAN)
        JobPostingFactory(description="전화 응대 업무")
        url = reverse("admin:moderation_rule_changelist")
        client = client_for(ops)
        form_page = client.post(url, {"action": "dry_run", "_selected_action": [rule.pk]})
        assert form_page.status_code == 200 and 'name="days"' in form_page.content.decode()
        before = (RuleHit.objects.count(), Case.objects.count(), AuditLog.objects.count(), Rule.objects.get(pk=rule.pk))
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                url, {"action": "dry_run", "_selected_action": [rule.pk], "run": "yes", "days": 7, "limit": 1000}
            )
        page = response.content.decode()
        assert response.status_code == 200
        assert "3 postings scanned" in page
        assert '<td class="hits">1</td>' in page and "33.33 %" in page
        assert '<mark class="evidence" title="' + CONTACT_RULE + '">０１０-1234-5678</mark>' in page
        assert "&lt;b&gt;굵게&lt;/b&gt;" in page  # the posting's text is escaped around the marks
        assert flagged.external_id in page
        writes = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert writes == []
        after = (RuleHit.objects.count(), Case.objects.count(), AuditLog.objects.count(), Rule.objects.get(pk=rule.pk))
        assert before[:3] == after[:3] and not after[3].enabled

    def test_moderators_cannot_run_it(self, default_rules) -> None:  # type: ignore[no-untyped-def]
        moderator = make_user(MODERATOR, "mod-dry")
        rule = default_rules[CONTACT_RULE]
        response = client_for(moderator).post(
            reverse("admin:moderation_rule_changelist"),
            {"action": "dry_run", "_selected_action": [rule.pk], "run": "yes", "days": 7, "limit": 10},
        )
        assert "postings scanned" not in response.content.decode()


class TestRuleForm:
    def _post(self, config: str, kind: str = "regex") -> Any:
        ops = make_user(OPS_ADMIN, f"ops-form-{next(_ids)}")
        return client_for(ops).post(
            reverse("admin:moderation_rule_add"),
            {
                "name": "고액 일당",
                "kind": kind,
                "clause": "P5-crime-recruitment",
                "config": config,
                "weight": 20,
                "mode": RuleMode.DRY_RUN,
            },
        )

    def test_an_invalid_regex_is_a_clear_error_and_nothing_is_saved(self, db: None) -> None:
        response = self._post('{"pattern": "(일당"}')
        assert response.status_code == 200
        assert "not a valid regular expression" in response.content.decode()
        assert not Rule.objects.filter(name="고액 일당").exists()

    def test_a_valid_rule_is_saved_through_the_service(self, db: None) -> None:
        response = self._post('{"pattern": "(?:일당|하루)\\\\s*[3-9]\\\\d\\\\s*만"}')
        assert response.status_code == 302
        rule = Rule.objects.get(name="고액 일당")
        assert AuditLog.objects.filter(action="rule.created", target_id=str(rule.pk)).exists()
