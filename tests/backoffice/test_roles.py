"""Each role's permission set, exactly: widening a role must be a deliberate change to this test."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backoffice.roles import ANALYST, MODERATOR, OPS_ADMIN, ROLE_PERMISSIONS, SENIOR_MODERATOR

pytestmark = pytest.mark.django_db

READ_JOBS = {
    "jobs.view_employer",
    "jobs.view_seeker",
    "jobs.view_jobposting",
    "jobs.view_application",
    "jobs.view_minimumwage",
}

READ_MODERATION = {
    "moderation.view_case",
    "moderation.view_report",
    "moderation.view_rulehit",
    "moderation.view_decision",
    "moderation.view_sanction",
    "moderation.view_appeal",
    "moderation.view_secondreview",
    "moderation.view_reasontemplate",
    "moderation.view_rule",
    "moderation.view_reporterstats",
    "moderation.view_caseevent",
}
SENIOR_ONLY = {
    "jobs.manage_employer_account",
    "jobs.manage_seeker_account",
    "backoffice.view_auditlog",
    "moderation.takeover_case",
    "moderation.handle_escalated_case",
    "moderation.ban_account",
    "moderation.undo_decision",
    "reports.view_reports",
}

EXPECTED = {
    MODERATOR: READ_JOBS | READ_MODERATION | {"jobs.moderate_jobposting", "moderation.decide_case"},
    SENIOR_MODERATOR: READ_JOBS
    | READ_MODERATION
    | SENIOR_ONLY
    | {"jobs.moderate_jobposting", "moderation.decide_case"},
    OPS_ADMIN: READ_JOBS
    | READ_MODERATION
    | SENIOR_ONLY
    | {
        "jobs.moderate_jobposting",
        "moderation.decide_case",
        "moderation.add_reasontemplate",
        "moderation.change_reasontemplate",
        "moderation.add_rule",
        "moderation.change_rule",
        "jobs.add_jobposting",
        "jobs.change_jobposting",
        "jobs.change_employer",
        "jobs.change_seeker",
        "jobs.add_minimumwage",
        "jobs.change_minimumwage",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.view_intervalschedule",
        "django_celery_results.view_taskresult",
        "backoffice.view_deadletter",
        "backoffice.change_deadletter",
        "backoffice.requeue_deadletter",
        "backoffice.view_inboxevent",
        "backoffice.view_parkedevent",
        "backoffice.view_outboxevent",
        "backoffice.view_apitoken",
        "backoffice.add_apitoken",
        "backoffice.change_apitoken",
    },
    ANALYST: READ_JOBS | READ_MODERATION | {"backoffice.view_auditlog", "reports.view_reports"},
}


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_has_exactly_its_permissions(role: str) -> None:
    # Groups come from the data migration, so this also proves every spec'd permission exists in the DB.
    assert group_permissions(role) == EXPECTED[role]
    assert set(ROLE_PERMISSIONS[role]) == EXPECTED[role]


def test_analysts_only_read() -> None:
    assert all(perm.split(".")[1].startswith("view_") for perm in group_permissions(ANALYST))


def test_nobody_may_delete_anything_or_edit_the_audit_log() -> None:
    for role in EXPECTED:
        perms = group_permissions(role)
        assert not any(p.split(".")[1].startswith("delete_") for p in perms), role
        assert not {"backoffice.change_auditlog", "backoffice.add_auditlog"} & perms


def test_roles_are_nested_by_seniority() -> None:
    assert group_permissions(MODERATOR) < group_permissions(SENIOR_MODERATOR) < group_permissions(OPS_ADMIN)
