"""Staff roles and their least-privilege permission sets: the single source of truth.

Data migrations call ``sync_role_permissions`` (the groups are created by migration, so every database,
CI's included, has them); each app that adds models re-runs it from its own data migration so the new
permissions reach the roles. A test asserts every role's exact set.

Permissions are "app_label.codename". A permission whose model is not migrated yet is skipped; the app's
later migration grants it.
"""

from __future__ import annotations

from typing import Any

MODERATOR = "Moderator"
SENIOR_MODERATOR = "Senior moderator"
OPS_ADMIN = "Ops admin"
ANALYST = "Analyst"

_READ_JOBS = {
    "jobs.view_employer",
    "jobs.view_seeker",
    "jobs.view_jobposting",
    "jobs.view_application",
    "jobs.view_minimumwage",
}

_READ_MODERATION = {
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

_MODERATOR = (
    _READ_JOBS
    | _READ_MODERATION
    | {
        "jobs.moderate_jobposting",
        "moderation.decide_case",
    }
)

_SENIOR_MODERATOR = _MODERATOR | {
    "reports.view_reports",
    "jobs.manage_employer_account",
    "jobs.manage_seeker_account",
    "backoffice.view_auditlog",
    "moderation.takeover_case",
    "moderation.handle_escalated_case",
    "moderation.ban_account",
    "moderation.undo_decision",
}

# Report pages: analysts and the staff who run the team (not every moderator: per-moderator numbers are
# management information).
_REPORTS = {"reports.view_reports"}

_OPS_ADMIN = (
    _SENIOR_MODERATOR
    | _REPORTS
    | {
        "jobs.add_jobposting",
        "jobs.change_jobposting",
        "jobs.change_employer",
        "jobs.change_seeker",
        "jobs.add_minimumwage",
        "jobs.change_minimumwage",
        # Policy wording and screening rules are operations' to maintain.
        "moderation.add_reasontemplate",
        "moderation.change_reasontemplate",
        "moderation.add_rule",
        "moderation.change_rule",
        # Scheduled automation: ops admins pause, reschedule and inspect the periodic jobs.
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.view_intervalschedule",
        "django_celery_results.view_taskresult",
        # The event pipeline: dead letters are fixed and re-queued by ops; API tokens are issued by ops.
        "backoffice.view_deadletter",
        "backoffice.change_deadletter",
        "backoffice.requeue_deadletter",
        "backoffice.view_inboxevent",
        "backoffice.view_parkedevent",
        "backoffice.view_outboxevent",
        "backoffice.view_apitoken",
        "backoffice.add_apitoken",
        "backoffice.change_apitoken",
    }
)

# Analysts read everything they report on and change nothing.
_ANALYST = (
    _READ_JOBS
    | _READ_MODERATION
    | _REPORTS
    | {
        "backoffice.view_auditlog",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset(_MODERATOR),
    SENIOR_MODERATOR: frozenset(_SENIOR_MODERATOR),
    OPS_ADMIN: frozenset(_OPS_ADMIN),
    ANALYST: frozenset(_ANALYST),
}


def sync_role_permissions(apps: Any, schema_editor: Any = None) -> None:
    """Create the role groups and set each one's permissions to exactly its spec (idempotent)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after *all* migrations (post_migrate); create them now so this
    # migration can grant them.
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, and create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, spec in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in sorted(spec):
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
