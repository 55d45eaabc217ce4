"""Jobs services: validation, state machine, out-of-order events, counts, and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.audit import Actor
from backoffice.models import AuditLog
from jobs import selectors
from jobs.models import (
    AccountStatus,
    Application,
    ApplicationStatus,
    CloseReason,
    EmploymentType,
    JobPosting,
    PostingStatus,
    WageType,
)
from jobs.signals import posting_changed
from tests.factories import ApplicationFactory, EmployerFactory, JobPostingFactory, SeekerFactory, UserFactory
from tests.jobs import calls as services

pytestmark = pytest.mark.django_db
MARKET = Actor.marketplace()


def create_posting(**overrides: object) -> JobPosting:
    values: dict[str, object] = {
        "actor": MARKET,
        "employer": overrides.pop("employer", None) or EmployerFactory(),
        "external_id": "p-1",
        "title": "편의점 야간 알바",
        "description": "역삼동 편의점 야간 근무자 구합니다.",
        "employment_type": EmploymentType.PART_TIME,
        "wage_type": WageType.HOURLY,
        "wage_amount": 11_000,
        "hours_per_week": 20,
        "region_code": "1168010100",
        "category": "retail",
    }
    values.update(overrides)
    return services.posting_create(**values)  # type: ignore[arg-type]


class TestPostingCreate:
    def test_starts_pending_review_with_fingerprint_and_audit(self) -> None:
        posting = create_posting()
        assert posting.status == PostingStatus.PENDING_REVIEW
        assert len(posting.content_fingerprint) == 32
        entry = AuditLog.objects.get(action="posting.created", target_id=str(posting.pk))
        assert entry.actor_kind == "marketplace"
        assert entry.changes["wage_amount"] == [None, 11_000]

    def test_policy_enforced_for_staff_entry(self) -> None:
        with pytest.raises(ValidationError) as excinfo:
            create_posting(hours_per_week=None)
        assert "hours_per_week" in excinfo.value.message_dict
        assert not JobPosting.objects.exists()
        assert not AuditLog.objects.exists()

    def test_marketplace_events_are_kept_even_when_the_policy_objects(self) -> None:
        # A contract-valid event is never lost; screening flags it instead.
        posting = create_posting(hours_per_week=None, enforce_policy=False)
        assert posting.pk

    def test_field_validators_apply_to_every_entry_point(self) -> None:
        with pytest.raises(ValidationError) as excinfo:
            create_posting(region_code="seoul", enforce_policy=False)
        assert "region_code" in excinfo.value.message_dict

    def test_changed_signal_is_sent_after_commit_only(self, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
        received: list[dict[str, object]] = []

        def receiver(sender: object, **kwargs: object) -> None:
            received.append(kwargs)

        posting_changed.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                posting = create_posting()
                assert received == []
            assert received[0]["posting_id"] == posting.pk
            assert received[0]["change"] == services.PostingChange.CREATED
        finally:
            posting_changed.disconnect(receiver)


class TestDatabaseConstraints:
    def test_wage_must_be_positive(self) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            JobPostingFactory(wage_amount=0)

    def test_one_application_per_seeker_and_posting(self) -> None:
        application = ApplicationFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ApplicationFactory(posting=application.posting, seeker=application.seeker)

    def test_closed_posting_needs_a_reason(self) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            JobPostingFactory(status=PostingStatus.CLOSED, close_reason="")

    def test_suspension_needs_an_end(self) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            EmployerFactory(account_status=AccountStatus.SUSPENDED, suspended_until=None)


class TestPostingUpdate:
    def test_records_only_changed_fields(self) -> None:
        posting = create_posting()
        updated = services.posting_update(actor=MARKET, posting=posting, changes={"wage_amount": 12_000})
        assert updated.wage_amount == 12_000
        entry = AuditLog.objects.get(action="posting.updated")
        assert entry.changes == {"wage_amount": [11_000, 12_000]}

    def test_older_event_does_not_overwrite_newer_state(self) -> None:
        t0 = timezone.now()
        posting = create_posting(occurred_at=t0)
        services.posting_update(
            actor=MARKET, posting=posting, changes={"title": "새 제목"}, occurred_at=t0 + dt.timedelta(minutes=5)
        )
        # The update from minute 2 arrives late: it must not win.
        stale = services.posting_update(
            actor=MARKET, posting=posting, changes={"title": "옛 제목"}, occurred_at=t0 + dt.timedelta(minutes=2)
        )
        assert stale.title == "새 제목"
        posting.refresh_from_db()
        assert posting.title == "새 제목"
        assert AuditLog.objects.filter(action="posting.updated").count() == 1

    def test_content_change_changes_fingerprint(self) -> None:
        posting = create_posting()
        before = posting.content_fingerprint
        updated = services.posting_update(actor=MARKET, posting=posting, changes={"description": "완전히 다른 내용"})
        assert updated.content_fingerprint != before

    def test_status_is_not_editable_here(self) -> None:
        posting = create_posting()
        with pytest.raises(ValidationError):
            services.posting_update(actor=MARKET, posting=posting, changes={"status": PostingStatus.PUBLISHED})


class TestPostingStatus:
    def test_publish_sets_times_from_policy(self) -> None:
        posting = create_posting()
        published = services.posting_publish(actor=Actor.system(), posting=posting)
        assert published.status == PostingStatus.PUBLISHED
        assert published.expires_at == published.published_at + dt.timedelta(days=14)
        entry = AuditLog.objects.get(action="posting.status_changed")
        assert entry.actor_kind == "system"
        assert entry.changes["status"] == [PostingStatus.PENDING_REVIEW, PostingStatus.PUBLISHED]

    def test_closed_posting_cannot_be_reopened(self) -> None:
        posting = create_posting()
        services.posting_close(actor=MARKET, posting=posting, reason=CloseReason.FILLED)
        with pytest.raises(services.InvalidTransitionError):
            services.posting_publish(actor=Actor.system(), posting=posting)
        posting.refresh_from_db()
        assert posting.status == PostingStatus.CLOSED
        assert posting.close_reason == CloseReason.FILLED

    def test_close_needs_a_reason(self) -> None:
        posting = create_posting()
        with pytest.raises(ValidationError):
            services.posting_close(actor=MARKET, posting=posting, reason="")

    def test_same_status_is_a_no_op(self) -> None:
        posting = create_posting()
        services.posting_publish(actor=Actor.system(), posting=posting)
        services.posting_publish(actor=Actor.system(), posting=posting)
        assert AuditLog.objects.filter(action="posting.status_changed").count() == 1

    def test_expiry_expires_only_due_postings_once(self) -> None:
        now = timezone.now()
        due = JobPostingFactory(expires_at=now - dt.timedelta(minutes=1))
        not_due = JobPostingFactory(expires_at=now + dt.timedelta(hours=1))
        hidden = JobPostingFactory(status=PostingStatus.HIDDEN, expires_at=now - dt.timedelta(days=1))
        assert services.posting_expire_due(now=now) == 1
        assert services.posting_expire_due(now=now) == 0
        due.refresh_from_db()
        not_due.refresh_from_db()
        hidden.refresh_from_db()
        assert (due.status, not_due.status, hidden.status) == (
            PostingStatus.EXPIRED,
            PostingStatus.PUBLISHED,
            PostingStatus.HIDDEN,
        )
        assert AuditLog.objects.get(action="posting.status_changed").actor_label == "expiry"


class TestApplications:
    def test_submit_counts_once_even_when_replayed(self) -> None:
        posting = JobPostingFactory()
        seeker = SeekerFactory()
        first_time = timezone.now() - dt.timedelta(hours=3)
        for _ in range(3):
            services.application_submit(
                actor=MARKET, posting=posting, seeker=seeker, external_id="a-1", submitted_at=first_time
            )
        posting.refresh_from_db()
        assert posting.application_count == 1
        assert posting.first_application_at == first_time
        assert Application.objects.count() == 1

    def test_first_application_time_is_the_earliest_even_out_of_order(self) -> None:
        posting = JobPostingFactory()
        now = timezone.now()
        services.application_submit(
            actor=MARKET, posting=posting, seeker=SeekerFactory(), external_id="late", submitted_at=now
        )
        services.application_submit(
            actor=MARKET,
            posting=posting,
            seeker=SeekerFactory(),
            external_id="early",
            submitted_at=now - dt.timedelta(hours=1),
        )
        posting.refresh_from_db()
        assert posting.application_count == 2
        assert posting.first_application_at == now - dt.timedelta(hours=1)

    def test_status_changes_converge_whatever_the_arrival_order(self) -> None:
        now = timezone.now()
        application = ApplicationFactory(
            submitted_at=now - dt.timedelta(hours=5), status_changed_at=now - dt.timedelta(hours=5)
        )
        # Hired (newer) arrives before viewed (older).
        services.application_change_status(
            actor=MARKET, application=application, status=ApplicationStatus.HIRED, at=now
        )
        services.application_change_status(
            actor=MARKET, application=application, status=ApplicationStatus.VIEWED, at=now - dt.timedelta(hours=2)
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.HIRED
        assert application.hired_at == now
        assert application.viewed_at == now - dt.timedelta(hours=2)

    def test_message_is_not_copied_into_the_audit_log(self) -> None:
        services.application_submit(
            actor=MARKET,
            posting=JobPostingFactory(),
            seeker=SeekerFactory(),
            external_id="a-9",
            message="제 번호는 010-1111-2222",
        )
        entry = AuditLog.objects.get(action="application.submitted")
        assert "010-1111-2222" not in str(entry.changes)
        assert entry.changes["message"] == [None, "«redacted»"]


class TestAccounts:
    def test_suspension_needs_future_end_and_is_audited_with_the_staff_actor(self) -> None:
        employer = EmployerFactory()
        moderator = UserFactory(username="mod")
        with pytest.raises(ValidationError):
            services.employer_set_account_status(
                actor=Actor.staff(moderator), employer=employer, status=AccountStatus.SUSPENDED
            )
        until = timezone.now() + dt.timedelta(days=7)
        services.employer_set_account_status(
            actor=Actor.staff(moderator),
            employer=employer,
            status=AccountStatus.SUSPENDED,
            until=until,
            note="P1 false ad",
        )
        employer.refresh_from_db()
        assert employer.account_status == AccountStatus.SUSPENDED
        entry = AuditLog.objects.get(action="employer.account_status_changed")
        assert (entry.actor, entry.actor_label, entry.note) == (moderator, "mod", "P1 false ad")

    def test_employer_upsert_registers_then_ignores_stale_updates(self) -> None:
        t0 = timezone.now()
        services.employer_upsert(
            actor=MARKET, external_id="e-9", business_name="새 이름", region_code="1168010100", occurred_at=t0
        )
        services.employer_upsert(
            actor=MARKET,
            external_id="e-9",
            business_name="옛 이름",
            region_code="1168010100",
            occurred_at=t0 - dt.timedelta(seconds=1),
        )
        assert selectors.posting_list().count() == 0
        from jobs.models import Employer

        assert Employer.objects.get(external_id="e-9").business_name == "새 이름"


class TestMinimumWageTable:
    def test_new_year_is_audited_and_used(self) -> None:
        assert selectors.minimum_wage_table().hourly_for(2026) == (2026, 10_320)  # seeded by migration
        services.minimum_wage_set(actor=Actor.system(), year=2027, hourly_amount=10_700)
        assert selectors.minimum_wage_table().hourly_for(2027) == (2027, 10_700)
        assert AuditLog.objects.filter(action="minimum_wage.added").exists()

    def test_posting_wage_finding_uses_the_table(self) -> None:
        posting = JobPostingFactory(wage_amount=9_900, starts_on=dt.date(2026, 3, 2))
        finding = selectors.posting_wage_finding(posting=posting)
        assert finding is not None and finding.minimum.required_amount == 10_320
        posting_2024 = JobPostingFactory(wage_amount=9_900, starts_on=dt.date(2024, 3, 4))
        assert selectors.posting_wage_finding(posting=posting_2024) is None
