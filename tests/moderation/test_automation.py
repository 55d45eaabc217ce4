"""Moderation's automated operations: SLA escalation with notifications, the wage re-check a new minimum-wage
year triggers, and the daily operations digest — each once, however often its job runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.audit import Actor, audit_entry, audit_record
from backoffice.automation import PERIODIC_TASKS, Queue
from backoffice.celery import app
from backoffice.models import ActorKind, AuditLog, Notification, NotificationKind
from backoffice.schedule import DEFAULT_SCHEDULE
from jobs.models import CloseReason, PostingStatus
from moderation import digest, tasks, wages
from moderation.actions import claims
from moderation.models import Band, Case, CaseEvent, CaseStatus, RuleHit
from tests.factories import JobPostingFactory, SeekerFactory
from tests.jobs import calls as jobs_services
from tests.moderation.conftest import file_report

pytestmark = pytest.mark.django_db


def overdue_case(*, hours: float = 1, now: dt.datetime | None = None) -> Case:
    case = file_report(JobPostingFactory(), "scam").case
    Case.objects.filter(pk=case.pk).update(due_at=(now or timezone.now()) - dt.timedelta(hours=hours))
    case.refresh_from_db()
    return case


def sla_hours(band: int) -> float:
    return settings.MODERATION["SLA_HOURS"][Band(band).name.lower()]


# --- SLA escalation --------------------------------------------------------------------------------------
class TestSlaEscalation:
    def test_overdue_case_is_escalated_audited_and_the_seniors_notified_once(
        self, senior, opsadmin, moderator, django_capture_on_commit_callbacks
    ) -> None:  # type: ignore[no-untyped-def]
        now = timezone.now()
        case = overdue_case(now=now)
        due_before, version = case.due_at, case.version
        on_time = file_report(JobPostingFactory(), "scam").case

        with django_capture_on_commit_callbacks(execute=True):
            escalated = claims.cases_escalate_overdue(now=now)

        assert [c.pk for c in escalated] == [case.pk]
        case.refresh_from_db()
        assert case.status == CaseStatus.ESCALATED and case.escalated_at == now
        assert case.version == version + 1
        # As for a moderator's escalation, the seniors get the band's time from the escalation.
        assert case.due_at == now + dt.timedelta(hours=sla_hours(case.band))
        assert Case.objects.get(pk=on_time.pk).status == CaseStatus.OPEN
        event = CaseEvent.objects.get(case=case, kind="sla_escalated")
        assert event.actor_label == "sla" and event.actor is None
        entry = AuditLog.objects.get(action="case.sla_escalated", target_id=str(case.pk))
        assert entry.actor_kind == ActorKind.SYSTEM and entry.actor_label == "sla"
        assert entry.metadata["breached_due_at"] == due_before.isoformat()
        assert entry.changes["status"] == [CaseStatus.OPEN, CaseStatus.ESCALATED]
        assert not case.decisions.exists(), "nobody judged the case: no decision is recorded"

        # Everyone who handles escalated cases (seniors, ops admins), not moderators.
        notes = Notification.objects.filter(kind=NotificationKind.SLA_BREACH)
        assert sorted(n.recipient.username for n in notes) == sorted([senior.username, opsadmin.username])
        note = notes.first()
        assert note.url == reverse("admin:moderation_case_change", args=[case.pk])
        assert f"#{case.pk}" in note.title and f"#{case.pk}" in note.body
        assert sorted(m.to[0] for m in mail.outbox) == sorted([senior.email, opsadmin.email])
        assert f"#{case.pk}" in mail.outbox[0].subject
        assert note.url in mail.outbox[0].body

        # Idempotent: a rerun (or a redelivered message) finds nothing to do and tells nobody again.
        with django_capture_on_commit_callbacks(execute=True):
            assert claims.cases_escalate_overdue(now=now + dt.timedelta(minutes=1)) == []
        assert notes.count() == 2 and len(mail.outbox) == 2
        assert AuditLog.objects.filter(action="case.sla_escalated").count() == 1

    def test_a_batch_makes_one_notification_listing_every_case(
        self, senior, django_capture_on_commit_callbacks
    ) -> None:  # type: ignore[no-untyped-def]
        now = timezone.now()
        cases = [overdue_case(hours=h, now=now) for h in (3, 2, 1)]
        with django_capture_on_commit_callbacks(execute=True):
            escalated = claims.cases_escalate_overdue(now=now, batch_size=2)
        # Most overdue first; the rest waits for the next run.
        assert [c.pk for c in escalated] == [cases[0].pk, cases[1].pk]
        note = Notification.objects.get(recipient=senior)
        assert "2 cases" in note.title and note.url.endswith("?queue=escalated")
        assert f"#{cases[0].pk}" in note.body and f"#{cases[1].pk}" in note.body
        assert f"#{cases[2].pk}" not in note.body
        assert len(mail.outbox) == 1

        with django_capture_on_commit_callbacks(execute=True):
            assert [c.pk for c in claims.cases_escalate_overdue(now=now)] == [cases[2].pk]
        assert Notification.objects.filter(recipient=senior).count() == 2
        bodies = "\n".join(Notification.objects.values_list("body", flat=True))
        for case in cases:
            assert bodies.count(f"#{case.pk} ") == 1, "each case is announced exactly once"

    def test_a_case_under_a_live_claim_waits_for_the_claim(self, moderator, senior) -> None:  # type: ignore[no-untyped-def]
        now = timezone.now()
        case = overdue_case(now=now)
        claims.case_claim(user=moderator, case=case, now=now)
        assert claims.cases_escalate_overdue(now=now) == []
        assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
        # The claim lapses without a decision: the next run escalates it.
        later = now + dt.timedelta(minutes=settings.MODERATION["CLAIM_MINUTES"] + 1)
        assert [c.pk for c in claims.cases_escalate_overdue(now=later)] == [case.pk]

    def test_the_task_runs_the_service(self, senior) -> None:  # type: ignore[no-untyped-def]
        overdue_case()
        assert tasks.escalate_overdue_cases.apply().get() == {"escalated": 1}
        assert tasks.escalate_overdue_cases.apply().get() == {"escalated": 0}
        assert Notification.objects.filter(recipient=senior).count() == 1


# --- wage re-check ---------------------------------------------------------------------------------------
@pytest.fixture
def next_year() -> int:
    return timezone.localdate().year + 1


@pytest.fixture
def wage_postings(next_year: int) -> dict[str, Any]:
    """Live postings judged against next year's minimum (their work starts then), and controls."""
    starts = dt.date(next_year, 1, 15)
    return {
        # 11,000 KRW an hour: above every minimum in the table today, below next year's 12,000.
        "short": JobPostingFactory(wage_amount=11_000, starts_on=starts),
        "fine": JobPostingFactory(wage_amount=12_500, starts_on=starts),
        # Work starting this year is judged by this year's minimum: unaffected.
        "this_year": JobPostingFactory(wage_amount=11_000, starts_on=None),
        # Not live: not re-checked.
        "hidden": JobPostingFactory(wage_amount=11_000, starts_on=starts, status=PostingStatus.HIDDEN),
    }


def add_minimum(year: int, amount: int, opsadmin: Any, capture: Any) -> None:
    with capture(execute=True):
        jobs_services.minimum_wage_set(actor=Actor.staff(opsadmin), year=year, hourly_amount=amount, source="test")


class TestWageRecheck:
    def test_new_year_flags_live_postings_below_it_once(self, wage_postings, next_year) -> None:  # type: ignore[no-untyped-def]
        jobs_services.minimum_wage_set(actor=Actor.system("test"), year=next_year, hourly_amount=12_000)
        # A batch of 1 walks the keyset pages one posting at a time: every live posting is seen once.
        counts = wages.postings_recheck_wages(year=next_year, batch_size=1)
        assert counts == {"rules": 1, "checked": 3, "below_minimum": 1, "hits_recorded": 1, "cases": 1}

        short = wage_postings["short"]
        case = Case.objects.get(posting=short)
        assert case.status == CaseStatus.OPEN and case.hit_count == 1
        hit = RuleHit.objects.get(posting=short)
        assert hit.evidence["numbers"]["year"] == next_year and hit.evidence["numbers"]["required"] == 12_000
        assert not Case.objects.filter(posting__in=[p for k, p in wage_postings.items() if k != "short"]).exists()
        entry = AuditLog.objects.get(action="case.rule_hits", target_id=str(case.pk))
        assert entry.actor_kind == ActorKind.SYSTEM and entry.actor_label == "wage-recheck"

        # A rerun (the weekly safety net, a redelivered message) records nothing new.
        again = wages.postings_recheck_wages(year=next_year)
        assert again["below_minimum"] == 1 and again["hits_recorded"] == 0 and again["cases"] == 0
        assert RuleHit.objects.filter(posting=short).count() == 1

    def test_a_new_year_enqueues_the_recheck_which_opens_the_case(  # type: ignore[no-untyped-def]
        self, wage_postings, next_year, opsadmin, django_capture_on_commit_callbacks, monkeypatch
    ) -> None:
        # The real wiring: minimum_wage_set → (commit) → minimum_wage_changed → receiver → task, run eagerly.
        monkeypatch.setitem(app.conf, "task_always_eager", True)
        add_minimum(next_year, 12_000, opsadmin, django_capture_on_commit_callbacks)
        assert Case.objects.filter(posting=wage_postings["short"], status=CaseStatus.OPEN).exists()

    def test_only_a_new_year_enqueues_it(  # type: ignore[no-untyped-def]
        self, next_year, opsadmin, django_capture_on_commit_callbacks, monkeypatch
    ) -> None:
        calls: list[dict[str, Any]] = []
        monkeypatch.setattr(tasks.recheck_wages, "delay", lambda **kwargs: calls.append(kwargs))
        add_minimum(next_year, 12_000, opsadmin, django_capture_on_commit_callbacks)
        assert calls == [{"year": next_year}]
        add_minimum(next_year, 12_100, opsadmin, django_capture_on_commit_callbacks)  # a correction
        assert calls == [{"year": next_year}], "a corrected amount waits for the weekly run"

    def test_a_broker_outage_does_not_fail_the_save(  # type: ignore[no-untyped-def]
        self, next_year, opsadmin, django_capture_on_commit_callbacks, monkeypatch
    ) -> None:
        def down(**kwargs: Any) -> None:
            raise ConnectionError("broker down")

        monkeypatch.setattr(tasks.recheck_wages, "delay", down)
        add_minimum(next_year, 12_000, opsadmin, django_capture_on_commit_callbacks)

    def test_the_task_returns_its_counts(self, wage_postings, next_year) -> None:  # type: ignore[no-untyped-def]
        jobs_services.minimum_wage_set(actor=Actor.system("test"), year=next_year, hourly_amount=12_000)
        result = tasks.recheck_wages.apply(kwargs={"year": next_year}).get()
        assert result["checked"] == 3 and result["cases"] == 1


# --- daily digest ----------------------------------------------------------------------------------------
def system_row(action: str, target: Any, *, at: dt.datetime | None = None, **kwargs: Any) -> None:
    entry = audit_entry(actor=Actor.system("test-job"), action=action, target=target, **kwargs)
    if at is not None:
        entry.created_at = at
    entry.save()


class TestDailyDigest:
    @pytest.fixture
    def activity(self, senior, moderator) -> dt.datetime:  # type: ignore[no-untyped-def]
        """A queue and a day of automation, as of ``now`` (returned)."""
        now = timezone.now()
        oldest = file_report(JobPostingFactory(), "scam").case
        Case.objects.filter(pk=oldest.pk).update(opened_at=now - dt.timedelta(days=3, hours=4))
        file_report(JobPostingFactory(), "spam")
        urgent = file_report(JobPostingFactory(), "scam").case
        Case.objects.filter(pk=urgent.pk).update(band=Band.URGENT)
        resolved = file_report(JobPostingFactory(), "scam").case
        Case.objects.filter(pk=resolved.pk).update(status=CaseStatus.RESOLVED, resolved_at=now)
        # SLA: one escalated by the job (its clock restarts), one escalated case past its new due time, one
        # breach from two days ago (outside the window).
        breached = overdue_case(now=now)
        claims.cases_escalate_overdue(now=now)
        Case.objects.filter(pk=breached.pk).update(band=Band.HIGH)
        second = file_report(JobPostingFactory(), "scam").case
        Case.objects.filter(pk=second.pk).update(
            status=CaseStatus.ESCALATED, band=Band.HIGH, due_at=now - dt.timedelta(hours=2)
        )
        old = file_report(JobPostingFactory(), "scam").case
        Case.objects.filter(pk=old.pk).update(
            status=CaseStatus.RESOLVED, due_at=now - dt.timedelta(days=2), resolved_at=now - dt.timedelta(days=1)
        )
        # Automation, through the real services where they exist.
        expiring = JobPostingFactory()
        jobs_services.posting_change_status(
            actor=Actor.system("expiry"), posting=expiring, status=PostingStatus.EXPIRED, note="test"
        )
        for _ in range(2):
            jobs_services.posting_close(
                actor=Actor.system("no-response"), posting=JobPostingFactory(), reason=CloseReason.NO_RESPONSE
            )
        # Closed by a person, or for another reason: not counted.
        jobs_services.posting_close(
            actor=Actor.staff(moderator), posting=JobPostingFactory(), reason=CloseReason.NO_RESPONSE
        )
        jobs_services.posting_close(actor=Actor.system("x"), posting=JobPostingFactory(), reason=CloseReason.FILLED)
        system_row("case.auto_hidden", urgent)
        system_row("seeker.anonymized", SeekerFactory())
        system_row("seeker.anonymized", SeekerFactory())
        system_row("seeker.anonymized", SeekerFactory(), at=now - dt.timedelta(hours=30))  # yesterday's run
        audit_record(actor=Actor.staff(moderator), action="case.auto_hidden", target=urgent)  # not system
        return now

    def test_content(self, activity) -> None:  # type: ignore[no-untyped-def]
        now = activity
        report = digest.daily_digest(now=now + dt.timedelta(seconds=1))
        backlog = {row.band: (row.open, row.escalated) for row in report.backlog}
        assert backlog == {Band.URGENT: (1, 0), Band.HIGH: (0, 2), Band.MEDIUM: (0, 0), Band.LOW: (2, 0)}
        assert [row.band for row in report.backlog] == [Band.URGENT, Band.HIGH, Band.MEDIUM, Band.LOW]
        assert report.open_total == 3 and report.escalated_total == 2
        assert report.overdue == 1  # the escalated case past its new due time
        assert report.sla_breaches == 2
        assert report.auto == digest.AutoActions(
            postings_hidden=1,
            postings_expired=1,
            postings_closed_no_response=2,
            seekers_anonymised=2,
            cases_escalated=1,
        )
        assert report.oldest_opened_at == now - dt.timedelta(days=3, hours=4)

        title, body = digest.render_digest(report)
        assert report.date.isoformat() in title
        for line in (
            "Urgent: 1 open, 0 escalated",
            "High: 0 open, 2 escalated",
            "Total: 3 open, 2 escalated, 1 overdue",
            f"Oldest unresolved case: #{report.oldest_case_id}, waiting 3\xa0days, 4\xa0hours",
            "SLA breaches: 2",
            "Postings hidden automatically: 1",
            "Postings expired: 1",
            "Postings closed for no response: 2",
            "Job seekers anonymised: 2",
            "Cases escalated past their SLA: 1",
        ):
            assert line in body, body

    def test_korean(self, activity) -> None:  # type: ignore[no-untyped-def]
        with translation.override("ko"):
            title, body = digest.render_digest(digest.daily_digest(now=activity))
        assert "운영" in title and "SLA" in body and "긴급" in body

    def test_sent_to_ops_admins_once_a_day(  # type: ignore[no-untyped-def]
        self, opsadmin, senior, django_capture_on_commit_callbacks
    ) -> None:
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.digest_send(now=now) == {"recipients": 1, "sent": 1}
        note = Notification.objects.get(kind=NotificationKind.DIGEST)
        assert note.recipient == opsadmin and note.dedup_key == f"digest:{timezone.localdate(now).isoformat()}"
        assert [m.to for m in mail.outbox] == [[opsadmin.email]]
        assert "SLA breaches: 0" in mail.outbox[0].body

        # Again the same Seoul day (a redelivered message, a manual run): nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.digest_send(now=now + dt.timedelta(minutes=5)) == {"recipients": 1, "sent": 0}
            assert tasks.send_daily_digest.apply().get()["sent"] == 0
        assert len(mail.outbox) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.digest_send(now=now + dt.timedelta(days=1))["sent"] == 1
        assert len(mail.outbox) == 2


# --- declarations ----------------------------------------------------------------------------------------
def test_every_moderation_job_is_scheduled_on_its_queue() -> None:
    app.loader.import_default_modules()
    scheduled = {job.task for job in DEFAULT_SCHEDULE}
    ours = {name: queue for name, queue in PERIODIC_TASKS.items() if name.startswith("moderation.")}
    assert set(ours) == {
        "moderation.release_expired_claims",
        "moderation.screen_pending",
        "moderation.escalate_overdue_cases",
        "moderation.recheck_wages",
        "moderation.send_daily_digest",
    }
    assert set(ours) <= scheduled
    assert ours["moderation.screen_pending"] == ours["moderation.recheck_wages"] == Queue.SCREENING
    digest_job = next(job for job in DEFAULT_SCHEDULE if job.task == "moderation.send_daily_digest")
    assert digest_job.crontab == {"minute": "0", "hour": "8"}  # Asia/Seoul (sync_schedule's timezone)
