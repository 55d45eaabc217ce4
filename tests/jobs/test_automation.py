"""The jobs domain's periodic jobs (jobs.automation): reminders, closing unanswered postings, retention.

Each job: its effect, what it leaves alone, idempotence (a second run does nothing), the audit trail, a row
that changes between the candidate query and its lock, and (last) bounded memory and query counts on
100,000 candidate rows."""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from backoffice.audit import REDACTED
from backoffice.automation import PERIODIC_TASKS, Queue
from backoffice.models import AuditLog, OutboxEvent
from backoffice.schedule import DEFAULT_SCHEDULE
from jobs import automation, tasks
from jobs.models import (
    Application,
    ApplicationStatus,
    CloseReason,
    Employer,
    JobPosting,
    PostingStatus,
    Seeker,
)
from tests.factories import ApplicationFactory, EmployerFactory, JobPostingFactory, SeekerFactory

pytestmark = pytest.mark.django_db
logger = logging.getLogger(__name__)

NOW = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def apply(posting: JobPosting, *, days: float, **fields: Any) -> Application:
    """An application ``days`` old, and the posting's denormalised counters as application_submit keeps them."""
    submitted_at = days_ago(days)
    application = ApplicationFactory(
        posting=posting, submitted_at=submitted_at, status_changed_at=submitted_at, **fields
    )
    posting.application_count += 1
    if posting.first_application_at is None or submitted_at < posting.first_application_at:
        posting.first_application_at = submitted_at
    posting.save(update_fields=["application_count", "first_application_at"])
    return application


def race_after_candidates(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Run ``change`` after each batch of candidates is read and before the job locks and handles it: what a
    concurrent writer (a marketplace event, staff) can do in between."""
    keyset = automation._keyset

    def racing(queryset: Any, batch_size: int) -> Iterator[list[int]]:
        for pks in keyset(queryset, batch_size):
            change()
            yield pks

    monkeypatch.setattr(automation, "_keyset", racing)


# --- 1. reminders -----------------------------------------------------------------------------------------
class TestRemindEmployers:
    def test_one_event_per_posting_for_its_unanswered_applications(self) -> None:
        posting = JobPostingFactory()
        five_days = apply(posting, days=5)
        four_days = apply(posting, days=4)
        recent = apply(posting, days=1)
        viewed = apply(posting, days=6, status=ApplicationStatus.VIEWED, viewed_at=days_ago(5))

        counts = automation.remind_employers(now=NOW)

        assert counts == {"reminders": 1, "applications": 2, "no_longer_due": 0}
        event = OutboxEvent.objects.get(type="employer.reminder")
        # Marketplace ids, oldest application first (EVENTS.md).
        assert event.payload == {
            "employer_id": posting.employer.external_id,
            "posting_id": posting.external_id,
            "application_ids": [five_days.external_id, four_days.external_id],
            "application_count": 2,
            "oldest_submitted_at": days_ago(5).isoformat(),
        }
        reminded = dict(Application.objects.values_list("pk", "reminded_at"))
        assert reminded == {five_days.pk: NOW, four_days.pk: NOW, recent.pk: None, viewed.pk: None}
        entry = AuditLog.objects.get(action="posting.employer_reminded")
        assert (entry.actor_kind, entry.actor_label, entry.target_id) == ("system", "reminders", str(posting.pk))
        assert entry.metadata["applications"] == 2
        assert entry.metadata["event_id"] == str(event.event_id)

    def test_second_run_reminds_nobody_and_later_only_the_new_ones(self) -> None:
        posting = JobPostingFactory()
        apply(posting, days=4)
        later = apply(posting, days=1)
        automation.remind_employers(now=NOW)

        assert automation.remind_employers(now=NOW) == {"reminders": 0, "applications": 0, "no_longer_due": 0}
        assert automation.remind_employers(now=NOW + DAY) == {"reminders": 0, "applications": 0, "no_longer_due": 0}
        # Two days on, the second application is 3 days old: a reminder for it alone.
        assert automation.remind_employers(now=NOW + 2 * DAY)["applications"] == 1
        events = list(OutboxEvent.objects.filter(type="employer.reminder").order_by("id"))
        assert [e.payload["application_ids"] for e in events][1] == [later.external_id]
        assert OutboxEvent.objects.count() == 2
        assert AuditLog.objects.filter(action="posting.employer_reminded").count() == 2

    def test_only_live_postings_and_one_event_for_each(self) -> None:
        employer = EmployerFactory()
        live = [JobPostingFactory(employer=employer) for _ in range(3)]
        closed = JobPostingFactory(employer=employer, status=PostingStatus.CLOSED, close_reason=CloseReason.FILLED)
        hidden = JobPostingFactory(status=PostingStatus.HIDDEN)
        for posting in [*live, closed, hidden]:
            apply(posting, days=10)

        # Batches of one: the keyset carries on from the last posting of each batch.
        counts = automation.remind_employers(now=NOW, batch_size=1)

        assert counts == {"reminders": 3, "applications": 3, "no_longer_due": 0}
        payloads = OutboxEvent.objects.filter(type="employer.reminder").values_list("payload", flat=True)
        assert sorted(p["posting_id"] for p in payloads) == sorted(p.external_id for p in live)

    def test_lists_the_oldest_and_counts_all(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(automation, "REMINDER_MAX_LISTED", 2)
        posting = JobPostingFactory()
        applications = [apply(posting, days=d) for d in (3, 7, 5)]
        automation.remind_employers(now=NOW)
        payload = OutboxEvent.objects.get().payload
        assert payload["application_ids"] == [applications[1].external_id, applications[2].external_id]
        assert payload["application_count"] == 3
        assert not Application.objects.filter(reminded_at=None).exists()

    def test_posting_hidden_after_the_candidate_query_is_not_reminded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        posting = JobPostingFactory()
        apply(posting, days=4)
        race_after_candidates(
            monkeypatch, lambda: JobPosting.objects.filter(pk=posting.pk).update(status=PostingStatus.HIDDEN)
        )
        assert automation.remind_employers(now=NOW) == {"reminders": 0, "applications": 0, "no_longer_due": 1}
        assert not OutboxEvent.objects.exists()
        assert not Application.objects.exclude(reminded_at=None).exists()

    def test_application_viewed_after_the_candidate_query_is_left_out(self, monkeypatch: pytest.MonkeyPatch) -> None:
        posting = JobPostingFactory()
        seen = apply(posting, days=4)
        unseen = apply(posting, days=5)
        race_after_candidates(
            monkeypatch,
            lambda: Application.objects.filter(pk=seen.pk).update(status=ApplicationStatus.VIEWED, viewed_at=NOW),
        )
        automation.remind_employers(now=NOW)
        assert OutboxEvent.objects.get().payload["application_ids"] == [unseen.external_id]


# --- 2. closing postings nobody answers --------------------------------------------------------------------
class TestCloseUnansweredPostings:
    def test_closes_with_no_response_audited_as_system(self) -> None:
        posting = JobPostingFactory()
        apply(posting, days=15)
        apply(posting, days=2)  # a late applicant does not restart the clock

        assert automation.close_unanswered_postings(now=NOW) == {"closed": 1, "no_longer_due": 0}

        posting.refresh_from_db()
        assert (posting.status, posting.close_reason, posting.closed_at) == (
            PostingStatus.CLOSED,
            CloseReason.NO_RESPONSE,
            NOW,
        )
        entry = AuditLog.objects.get(action="posting.status_changed", target_id=str(posting.pk))
        assert (entry.actor_kind, entry.actor_label) == ("system", "no-response")
        assert entry.changes["status"] == [PostingStatus.PUBLISHED, PostingStatus.CLOSED]
        assert entry.changes["close_reason"] == ["", CloseReason.NO_RESPONSE]
        assert "none of its 2 application(s)" in entry.note and "15 days" in entry.note
        assert entry.metadata["application_count"] == 2
        assert entry.metadata["first_application_at"] == days_ago(15).isoformat()

    def test_leaves_answered_young_empty_and_not_live_postings(self) -> None:
        young = JobPostingFactory()
        apply(young, days=13)
        answered = JobPostingFactory()
        apply(answered, days=20)
        apply(answered, days=20, status=ApplicationStatus.REJECTED, rejected_at=days_ago(19))
        # Viewed and then withdrawn by the seeker: the employer did respond.
        seen_then_withdrawn = JobPostingFactory()
        apply(
            seen_then_withdrawn,
            days=20,
            status=ApplicationStatus.WITHDRAWN,
            viewed_at=days_ago(19),
            withdrawn_at=days_ago(18),
        )
        empty = JobPostingFactory(created_at=days_ago(30))
        hidden = JobPostingFactory(status=PostingStatus.HIDDEN)
        apply(hidden, days=20)

        assert automation.close_unanswered_postings(now=NOW) == {"closed": 0, "no_longer_due": 0}
        statuses = set(JobPosting.objects.values_list("status", flat=True))
        assert statuses == {PostingStatus.PUBLISHED, PostingStatus.HIDDEN}
        assert not AuditLog.objects.exists()
        assert empty.first_application_at is None

    def test_withdrawn_without_being_viewed_is_no_response(self) -> None:
        posting = JobPostingFactory()
        apply(posting, days=20, status=ApplicationStatus.WITHDRAWN, withdrawn_at=days_ago(10))
        assert automation.close_unanswered_postings(now=NOW)["closed"] == 1

    def test_second_run_does_nothing(self) -> None:
        postings = [JobPostingFactory() for _ in range(3)]
        for posting in postings:
            apply(posting, days=14)
        assert automation.close_unanswered_postings(now=NOW, batch_size=2) == {"closed": 3, "no_longer_due": 0}
        assert automation.close_unanswered_postings(now=NOW, batch_size=2) == {"closed": 0, "no_longer_due": 0}
        assert AuditLog.objects.filter(action="posting.status_changed").count() == 3

    def test_posting_answered_after_the_candidate_query_stays_open(self, monkeypatch: pytest.MonkeyPatch) -> None:
        posting = JobPostingFactory()
        application = apply(posting, days=20)
        race_after_candidates(
            monkeypatch,
            lambda: Application.objects.filter(pk=application.pk).update(
                status=ApplicationStatus.VIEWED, viewed_at=NOW
            ),
        )
        assert automation.close_unanswered_postings(now=NOW) == {"closed": 0, "no_longer_due": 1}
        posting.refresh_from_db()
        assert posting.status == PostingStatus.PUBLISHED


# --- 3. retention -----------------------------------------------------------------------------------------
class TestAnonymiseInactiveSeekers:
    def test_personal_data_goes_rows_and_counts_stay(self) -> None:
        seeker = SeekerFactory(
            display_name="홍길동", phone="010-1234-5678", birth_year=1990, last_active_at=days_ago(400)
        )
        posting = JobPostingFactory()
        application = apply(posting, days=400, seeker=seeker, message="저는 홍길동입니다. 010-1234-5678")
        apply(JobPostingFactory(), days=401, seeker=seeker, status=ApplicationStatus.HIRED, hired_at=days_ago(390))

        assert automation.anonymise_inactive_seekers(now=NOW) == {"seekers": 1, "messages": 2, "no_longer_due": 0}

        seeker.refresh_from_db()
        assert (seeker.display_name, seeker.phone, seeker.birth_year, seeker.anonymized_at) == ("익명", "", None, NOW)
        assert seeker.region_code == "1144012400"  # aggregates by region still work
        application.refresh_from_db()
        assert application.message == ""
        assert application.status == ApplicationStatus.SUBMITTED
        # Rows and the reports' counts are unchanged.
        assert Application.objects.filter(seeker=seeker).count() == 2
        assert Application.objects.filter(status=ApplicationStatus.HIRED).count() == 1
        posting.refresh_from_db()
        assert posting.application_count == 1

    def test_audited_without_the_personal_data(self) -> None:
        seeker = SeekerFactory(
            display_name="홍길동", phone="010-1234-5678", birth_year=1990, last_active_at=days_ago(400)
        )
        apply(JobPostingFactory(), days=400, seeker=seeker, message="연락주세요 010-1234-5678")
        automation.anonymise_inactive_seekers(now=NOW)

        entry = AuditLog.objects.get(action="seeker.anonymized")
        assert (entry.actor_kind, entry.actor_label, entry.target_id) == ("system", "retention", str(seeker.pk))
        assert entry.changes == {
            "display_name": [REDACTED, REDACTED],
            "phone": [REDACTED, ""],
            "birth_year": [REDACTED, None],
            "anonymized_at": [None, NOW.isoformat()],
        }
        assert entry.metadata == {"application_messages_erased": 1}
        row = json.dumps([entry.target_repr, entry.changes, entry.note, entry.metadata], ensure_ascii=False)
        assert "홍길동" not in row and "010-1234-5678" not in row and "1990" not in row

    def test_active_and_already_anonymised_seekers_are_left_alone(self) -> None:
        active = SeekerFactory(last_active_at=days_ago(100))
        done = SeekerFactory(display_name="익명", phone="", birth_year=None, anonymized_at=days_ago(5))
        Seeker.objects.filter(pk=done.pk).update(last_active_at=days_ago(900))
        inactive = SeekerFactory(last_active_at=days_ago(365))

        assert automation.anonymise_inactive_seekers(now=NOW) == {"seekers": 1, "messages": 0, "no_longer_due": 0}
        assert set(Seeker.objects.exclude(anonymized_at=None).values_list("pk", flat=True)) == {done.pk, inactive.pk}
        active.refresh_from_db()
        assert active.anonymized_at is None and active.display_name != "익명"
        assert automation.anonymise_inactive_seekers(now=NOW) == {"seekers": 0, "messages": 0, "no_longer_due": 0}
        assert AuditLog.objects.filter(action="seeker.anonymized").count() == 1

    def test_a_seeker_who_came_back_is_anonymised_again_after_the_period(self) -> None:
        """Anonymised, then active again (a new name, a new application), then inactive for the period again."""
        seeker = SeekerFactory(last_active_at=days_ago(800))
        automation.anonymise_inactive_seekers(now=NOW - dt.timedelta(days=400))
        Seeker.objects.filter(pk=seeker.pk).update(display_name="돌아온 김민준", phone="010-2222-3333")
        application = apply(JobPostingFactory(), days=380, seeker=seeker, message="다시 지원합니다 010-2222-3333")
        Seeker.objects.filter(pk=seeker.pk).update(last_active_at=days_ago(380))

        assert automation.anonymise_inactive_seekers(now=NOW)["seekers"] == 1
        seeker.refresh_from_db()
        application.refresh_from_db()
        assert (seeker.display_name, seeker.phone, seeker.anonymized_at) == ("익명", "", NOW)
        assert application.message == ""

    @override_settings(RETENTION_SEEKER_DAYS=90)
    def test_retention_period_is_a_setting(self) -> None:
        SeekerFactory(last_active_at=days_ago(100))
        assert automation.anonymise_inactive_seekers(now=NOW)["seekers"] == 1

    def test_seeker_active_again_after_the_candidate_query_keeps_their_data(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seeker = SeekerFactory(last_active_at=days_ago(400))
        race_after_candidates(monkeypatch, lambda: Seeker.objects.filter(pk=seeker.pk).update(last_active_at=NOW))
        assert automation.anonymise_inactive_seekers(now=NOW) == {"seekers": 0, "messages": 0, "no_longer_due": 1}
        seeker.refresh_from_db()
        assert seeker.anonymized_at is None


# --- the Celery entry points --------------------------------------------------------------------------------
JOB_TASKS = ("jobs.remind_employers", "jobs.close_unanswered_postings", "jobs.anonymise_inactive_seekers")


def test_tasks_are_periodic_jobs_on_the_maintenance_queue_and_scheduled() -> None:
    scheduled = {job.task: job for job in DEFAULT_SCHEDULE}
    for name in JOB_TASKS:
        assert PERIODIC_TASKS[name] == Queue.MAINTENANCE
        assert scheduled[name].options["expires"] > 0


def test_tasks_run_the_services_and_return_counts(require_postgres: None) -> None:
    posting = JobPostingFactory()
    apply(posting, days=20, seeker=SeekerFactory(last_active_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    # Under the task's lock (a PostgreSQL advisory lock), with the real clock.
    assert tasks.remind_employers() == {"reminders": 1, "applications": 1, "no_longer_due": 0}
    assert tasks.close_unanswered_postings() == {"closed": 1, "no_longer_due": 0}
    assert tasks.anonymise_inactive_seekers() == {"seekers": 1, "messages": 1, "no_longer_due": 0}
    assert tasks.remind_employers.name == "jobs.remind_employers"


# --- 100,000 candidates: bounded memory, queries by batch ---------------------------------------------------
SCALE = 100_000
POSTINGS = 200  # 500 applications each
MEMORY_BOUND = 50 * 1024 * 1024  # loading the 100,000 seekers as model instances alone takes over 100 MiB


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _proc_status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak_rss() -> bool:
    """Reset the process's resident high-water mark (VmHWM) to its current size (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(job: Callable[[], dict[str, int]], *, traced: bool = True) -> tuple[dict[str, int], int, int]:
    """(counts, peak memory in bytes, SQL statements) of one run.

    ``traced``: the peak of Python allocations (tracemalloc). Otherwise the growth of the process's resident
    high-water mark, which also sees the database driver's C buffers and costs nothing: tracemalloc triples
    the run time of a job that builds 100,000 audit rows in Python (80 s instead of 25 s here). Where the
    high-water mark cannot be reset, tracemalloc is used anyway."""
    counter = QueryCounter()
    gc.collect()
    if not traced and _reset_peak_rss():
        before = _proc_status_kib("VmRSS")
        with connection.execute_wrapper(counter):
            counts = job()
        return counts, (_proc_status_kib("VmHWM") - before) * 1024, counter.count
    tracemalloc.start()
    try:
        with connection.execute_wrapper(counter):
            counts = job()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return counts, peak, counter.count


def seed_scale() -> None:
    """100,000 seekers inactive for 400 days, each with one application (a message, still `submitted` after 20
    days) to one of 200 live postings: every row is a candidate of every job. Set-based SQL, so the rows
    take seconds to create, not the minutes model instances would."""
    submitted_at = days_ago(20)
    employers = Employer.objects.bulk_create(
        [Employer(external_id=f"se-{i}", business_name=f"가게 {i}", region_code="1168010100") for i in range(POSTINGS)]
    )
    template = JobPostingFactory.build()
    JobPosting.objects.bulk_create(
        [
            JobPosting(
                external_id=f"sp-{i}",
                employer=employer,
                title=template.title,
                description=template.description,
                employment_type=template.employment_type,
                wage_type=template.wage_type,
                wage_amount=template.wage_amount,
                hours_per_week=template.hours_per_week,
                region_code=template.region_code,
                category=template.category,
                status=PostingStatus.PUBLISHED,
                published_at=days_ago(21),
                expires_at=NOW + DAY,
                content_fingerprint=template.content_fingerprint,
                application_count=SCALE // POSTINGS,
                first_application_at=submitted_at,
            )
            for i, employer in enumerate(employers)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Seeker._meta.db_table} (created_at, updated_at, external_id, display_name, phone,
                birth_year, region_code, account_status, last_active_at)
            SELECT %(at)s, %(at)s, 'ss-' || g, '지원자' || g, '010-0000-0000', 1995, '1144012400', 'active', %(at)s
            FROM generate_series(1, %(n)s) AS g
            """,
            {"at": days_ago(400), "n": SCALE},
        )
        # Seeker i applies to posting i mod 200.
        cursor.execute(
            f"""
            INSERT INTO {Application._meta.db_table} (created_at, updated_at, external_id, message, status,
                submitted_at, status_changed_at, posting_id, seeker_id)
            SELECT %(at)s, %(at)s, 'sa-' || s.id, '안녕하세요, 성실하게 일하겠습니다.', 'submitted', %(at)s, %(at)s,
                p.ids[1 + s.id %% p.n], s.id
            FROM {Seeker._meta.db_table} AS s,
                (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM {JobPosting._meta.db_table}) AS p
            """,
            {"at": submitted_at},
        )
        # Statistics, as a live database has them: without them the planner guesses for tables it thinks empty.
        cursor.execute(f"ANALYZE {Seeker._meta.db_table}, {Application._meta.db_table}, {JobPosting._meta.db_table}")


def test_100k_candidates_in_bounded_memory_and_queries_per_batch(require_postgres: None) -> None:
    seed_scale()
    batch = 500

    # Reminders: 100,000 unanswered applications. Per batch of postings a fixed handful of statements (one
    # UPDATE marks all its applications), plus the outbox row of each posting; never one per application.
    counts, peak, queries = measure(lambda: automation.remind_employers(now=NOW, batch_size=batch))
    assert counts == {"reminders": POSTINGS, "applications": SCALE, "no_longer_due": 0}
    assert peak < MEMORY_BOUND, f"reminders peaked at {peak / 2**20:.1f} MiB"
    assert queries <= POSTINGS + 10 * (POSTINGS // batch + 1), queries
    logger.info("reminders: %d applications, peak %.1f MiB, %d statements", SCALE, peak / 2**20, queries)

    # Closing goes through posting_change_status, posting by posting: statements grow with postings (here
    # 200), not with their 100,000 applications.
    counts, peak, queries = measure(lambda: automation.close_unanswered_postings(now=NOW, batch_size=batch))
    assert counts == {"closed": POSTINGS, "no_longer_due": 0}
    assert peak < MEMORY_BOUND, f"closing peaked at {peak / 2**20:.1f} MiB"
    assert queries <= 10 * POSTINGS, queries
    logger.info("close: %d postings, peak %.1f MiB, %d statements", POSTINGS, peak / 2**20, queries)

    # Retention: 100,000 seekers and their 100,000 messages, a fixed handful of statements per batch (larger
    # batches here only to keep the test short).
    batch = 2000
    counts, peak, queries = measure(
        lambda: automation.anonymise_inactive_seekers(now=NOW, batch_size=batch), traced=False
    )
    assert counts == {"seekers": SCALE, "messages": SCALE, "no_longer_due": 0}
    assert peak < MEMORY_BOUND, f"retention peaked at {peak / 2**20:.1f} MiB"
    assert queries <= 8 * (SCALE // batch + 1), queries
    logger.info("retention: %d seekers, resident growth %.1f MiB, %d statements", SCALE, peak / 2**20, queries)

    assert not Seeker.objects.filter(anonymized_at=None).exists()
    assert not Application.objects.exclude(message="").exists()
    assert Application.objects.filter(reminded_at=NOW).count() == SCALE
    assert AuditLog.objects.filter(action="seeker.anonymized").count() == SCALE
