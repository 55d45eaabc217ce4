"""The default periodic jobs, in one place. ``manage.py sync_schedule`` writes them into django-celery-beat
rows; staff then edit those rows in the admin, and a later sync never overwrites their edits (it only adds
missing jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    crontab: dict[str, str]
    description: str
    options: dict[str, Any] = field(default_factory=dict)


DEFAULT_SCHEDULE: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="Expire postings",
        task="jobs.expire_postings",
        # Every 5 minutes: a posting stays visible at most 5 minutes past its expiry.
        crontab={"minute": "*/5"},
        description="Expire published postings past their end date or lifetime.",
        # A run that has waited longer than its interval is superseded by the next one.
        options={"expires": 300},
    ),
    PeriodicJob(
        name="Release expired claims",
        task="moderation.release_expired_claims",
        # Every minute: claims last minutes, a stale claim must not hide a case from the queue for long.
        crontab={"minute": "*"},
        description="Release moderation claims whose time ran out.",
        options={"expires": 60},
    ),
    PeriodicJob(
        name="Relay outbox",
        task="backoffice.relay_outbox",
        # Every minute: the safety net behind the long-running `manage.py relay_outbox` (which publishes
        # within a second); on its own it bounds the delay of an emitted event to a minute. Runs never overlap.
        crontab={"minute": "*"},
        description="Publish committed outbox events to the backoffice.events stream, in order.",
        options={"expires": 60},
    ),
    PeriodicJob(
        name="Screen pending postings",
        task="moderation.screen_pending",
        # Every 5 minutes, for postings pending for 5 minutes without a case: the sweep behind the screening
        # each ingestion batch runs after its commit (a consumer killed in between leaves them unscreened).
        crontab={"minute": "*/5"},
        description="Screen postings still pending review without a case after 5 minutes.",
        options={"expires": 300},
    ),
    PeriodicJob(
        name="Expire parked events",
        task="backoffice.expire_parked_events",
        # Every 5 minutes: parked events wait an hour (EVENTS_PARK_SECONDS); the consumers also retry them.
        crontab={"minute": "*/5"},
        description="Apply parked events whose entity has arrived; dead-letter those that waited too long.",
        options={"expires": 300},
    ),
    PeriodicJob(
        name="Escalate overdue cases",
        task="moderation.escalate_overdue_cases",
        # Every minute: the urgent band's SLA is an hour, so a breach reaches the seniors within a minute of it.
        # Each run escalates one batch and sends one notification, so a backlog breaching at once makes one mail a
        # minute, not one per case.
        crontab={"minute": "*"},
        description="Escalate open cases past their SLA to senior moderators and notify them.",
        options={"expires": 60},
    ),
    PeriodicJob(
        name="Re-check live postings' wages",
        task="moderation.recheck_wages",
        # Mondays 04:00 (Seoul), a quiet hour: the safety net behind the run a new minimum-wage year enqueues
        # at once (a lost message, or a corrected amount, which does not trigger it). Idempotent.
        crontab={"minute": "0", "hour": "4", "day_of_week": "1"},
        description="Judge every published posting's wage again against the minimum-wage table.",
        options={"expires": 6 * 3600},
    ),
    PeriodicJob(
        name="Daily operations digest",
        task="moderation.send_daily_digest",
        # 08:00 Seoul, before the morning shift; a second run the same day sends nothing (keyed by the date).
        crontab={"minute": "0", "hour": "8"},
        description="E-mail the ops admins the queue, the last 24 hours' SLA breaches and automatic actions.",
        options={"expires": 3600},
    ),
    PeriodicJob(
        name="Remind employers of unanswered applications",
        task="jobs.remind_employers",
        # Daily at 10:00 (Seoul): one nudge a day per posting at most, sent while employers are at work; an
        # application is reminded 3 to 4 days after it arrived.
        crontab={"minute": "0", "hour": "10"},
        description="Emit employer.reminder for live postings with applications unanswered for 3 days.",
        # A run that waited past the early afternoon would nudge in the evening: skip it, tomorrow's catches up.
        options={"expires": 4 * 3600},
    ),
    PeriodicJob(
        name="Close unanswered postings",
        task="jobs.close_unanswered_postings",
        # Hourly (at :20, away from the jobs on the hour): a dead posting stops collecting applications within
        # an hour of its 14th unanswered day.
        crontab={"minute": "20"},
        description="Close published postings none of whose applications was answered in 14 days.",
        options={"expires": 3600},
    ),
    PeriodicJob(
        name="Anonymise inactive seekers",
        task="jobs.anonymise_inactive_seekers",
        # Daily at 04:30 (Seoul), when the marketplace is quiet: retention is counted in days, a batch job's
        # row locks are best taken when seekers are not applying.
        crontab={"minute": "30", "hour": "4"},
        description="Retention: anonymise the personal data of seekers inactive for RETENTION_SEEKER_DAYS.",
        # Still worth running later in the day rather than waiting another day past the retention period.
        options={"expires": 12 * 3600},
    ),
    PeriodicJob(
        name="Roll up report metrics",
        task="reports.rollup",
        # Every 15 minutes (at :07, away from the jobs on the hour): today's numbers on the report pages are at
        # most a quarter of an hour old; past days are recomputed only when late events changed them.
        crontab={"minute": "7,22,37,52"},
        description="Recompute the daily metric rollups from the last watermark, plus days late events changed.",
        options={"expires": 900},
    ),
)


def sync_schedule() -> list[str]:
    """Create the beat rows that do not exist yet; returns the names created."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    created: list[str] = []
    for job in DEFAULT_SCHEDULE:
        if PeriodicTask.objects.filter(name=job.name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=job.crontab.get("minute", "*"),
            hour=job.crontab.get("hour", "*"),
            day_of_week=job.crontab.get("day_of_week", "*"),
            day_of_month=job.crontab.get("day_of_month", "*"),
            month_of_year=job.crontab.get("month_of_year", "*"),
            timezone="Asia/Seoul",
        )
        PeriodicTask.objects.create(
            name=job.name,
            task=job.task,
            crontab=crontab,
            description=job.description,
            expire_seconds=job.options.get("expires"),
        )
        created.append(job.name)
    return created
