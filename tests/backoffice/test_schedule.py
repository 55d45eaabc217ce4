"""The default schedule is written into django-celery-beat once, and admin edits survive a later sync."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from backoffice.celery import app
from backoffice.schedule import DEFAULT_SCHEDULE, sync_schedule

pytestmark = pytest.mark.django_db


def test_sync_creates_every_job_once_and_keeps_admin_edits() -> None:
    created = sync_schedule()
    assert created == [job.name for job in DEFAULT_SCHEDULE]
    expiry = PeriodicTask.objects.get(name="Expire postings")
    assert expiry.task == "jobs.expire_postings" and expiry.expire_seconds == 300
    expiry.enabled = False  # an ops admin pauses it
    expiry.save()
    assert sync_schedule() == []
    assert PeriodicTask.objects.get(name="Expire postings").enabled is False


def test_every_scheduled_task_exists() -> None:
    app.loader.import_default_modules()
    assert {job.task for job in DEFAULT_SCHEDULE} <= set(app.tasks)


def test_every_periodic_job_is_scheduled_and_routed_to_its_queue() -> None:
    """A periodic task added without a schedule entry (or a schedule naming a task that is not a periodic job)
    fails here; so does a route that sends a job to another queue than it declares."""
    from backoffice.automation import PERIODIC_TASKS

    app.loader.import_default_modules()
    scheduled = {job.task for job in DEFAULT_SCHEDULE}
    assert PERIODIC_TASKS, "the periodic jobs are registered"
    assert set(PERIODIC_TASKS) == scheduled, (
        f"not scheduled: {sorted(set(PERIODIC_TASKS) - scheduled)}; "
        f"scheduled but not a periodic job: {sorted(scheduled - set(PERIODIC_TASKS))}"
    )
    for name, queue in PERIODIC_TASKS.items():
        route = app.amqp.router.route({}, name, (), {})
        assert route["queue"].name == queue, f"{name} is routed to {route['queue'].name}, declares {queue}"
