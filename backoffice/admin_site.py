"""The admin site: Django's, plus the moderation backlog in the navigation on every page, and the event
pipeline page (``/admin/pipeline/``) and the automation page (``/admin/automation/``) under a pseudo-app
"Operations" for the staff allowed to see them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

PIPELINE_PERMISSION = "backoffice.view_inboxevent"
PIPELINE_REFRESH_SECONDS = 30


def can_view_pipeline(user: Any) -> bool:
    # has_perm is True for active superusers; staff status is checked by admin_view before this.
    return bool(user.is_active and (user.is_superuser or user.has_perm(PIPELINE_PERMISSION)))


def _query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"


class BackofficeAdminSite(admin.AdminSite):
    site_header = "Job marketplace back-office"
    site_title = _("Back-office")
    index_title = _("Operations")

    # Hooks other apps register (backoffice imports no app): each returns {model label: badge count}.
    nav_badge_providers: list[Any] = []
    # Pages other apps add to the site: ``url_providers`` return URL patterns (given the site),
    # ``app_providers`` return an app-shaped dict for the index and sidebar (or None for users who may not see
    # it), ``index_providers`` return extra context for the index page (e.g. the reports overview).
    url_providers: list[Any] = []
    app_providers: list[Any] = []
    index_providers: list[Any] = []

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        app_list = super().get_app_list(request, app_label)
        badges: dict[str, int] = {}
        for provider in self.nav_badge_providers:
            badges.update(provider(request))
        if badges:
            for app in app_list:
                for model in app["models"]:
                    label = f"{app['app_label']}.{model['object_name'].lower()}"
                    if label in badges:
                        model["name"] = f"{model['name']} ({badges[label]:,})"
        if app_label is None:
            for provider in self.app_providers:
                app = provider(request, self)
                if app is not None:
                    app_list.insert(0, app)
        if app_label is None and can_view_pipeline(request.user):
            # First: the page ops staff watch; the others (moderators, analysts) never see it.
            app_list.insert(0, self._operations_app())
        return app_list

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = dict(extra_context or {})
        for provider in self.index_providers:
            context.update(provider(request, self) or {})
        return super().index(request, context)

    def _operations_app(self) -> dict[str, Any]:
        """Pages that are not a model's changelist, shaped like an app so the index and the sidebar list them."""
        url = reverse("admin:pipeline", current_app=self.name)
        return {
            "name": _("Operations"),
            "app_label": "operations",
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": _("Event pipeline"),
                    "object_name": "Pipeline",
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                    "perms": {"add": False, "change": False, "delete": False, "view": True},
                },
                {
                    "name": _("Automation"),
                    "object_name": "Automation",
                    "admin_url": reverse("admin:automation", current_app=self.name),
                    "add_url": None,
                    "view_only": True,
                    "perms": {"add": False, "change": False, "delete": False, "view": True},
                },
            ],
        }

    def get_urls(self) -> list[Any]:
        # Before Django's own patterns: the admin ends with a catch-all.
        return [
            path("pipeline/", self.admin_view(self.pipeline_view), name="pipeline"),
            path("automation/", self.admin_view(self.automation_view), name="automation"),
            *(pattern for provider in self.url_providers for pattern in provider(self)),
            *super().get_urls(),
        ]

    def automation_view(self, request: HttpRequest) -> TemplateResponse:
        """The periodic jobs (schedule, last run, outcome, duration, next run) and recent failures."""
        if not can_view_pipeline(request.user):
            raise PermissionDenied
        from backoffice.automation_status import periodic_jobs, recent_failures

        jobs = periodic_jobs()
        context = {
            **self.each_context(request),
            "title": _("Automation"),
            "jobs": jobs,
            "failures": recent_failures(),
            "overdue": [job for job in jobs if job.overdue],
            "refresh_seconds": PIPELINE_REFRESH_SECONDS,
            "schedule_url": reverse("admin:django_celery_beat_periodictask_changelist", current_app=self.name),
            "results_url": reverse("admin:django_celery_results_taskresult_changelist", current_app=self.name),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/backoffice/automation.html", context)

    def pipeline_view(self, request: HttpRequest) -> TemplateResponse:
        """Streams, consumer groups and consumers (Redis), and the database side of the event pipeline."""
        if not can_view_pipeline(request.user):
            raise PermissionDenied
        from backoffice.events.monitoring import bar_chart, pipeline_status, redis_client_from_settings

        client = redis_client_from_settings()
        try:
            status = pipeline_status(client)
        finally:
            if client is not None:
                client.close()
        dead_url = reverse("admin:backoffice_deadletter_changelist", current_app=self.name)
        context = {
            **self.each_context(request),
            "title": _("Event pipeline"),
            "status": status,
            "chart": bar_chart(status.applied_per_minute),
            "refresh_seconds": PIPELINE_REFRESH_SECONDS,
            # A quoted search is a phrase in the admin's search (not words matched anywhere).
            "reason_rows": [
                (row, _query(dead_url, status__exact="open", q=f'"{row.search}"') if row.search else "")
                for row in status.dead_letters_by_reason
            ],
            "type_rows": [
                (row, _query(dead_url, status__exact="open", type__exact=row.type))
                for row in status.dead_letters_by_type
            ],
            "dead_open_url": _query(dead_url, status__exact="open"),
            "parked_url": reverse("admin:backoffice_parkedevent_changelist", current_app=self.name),
            "inbox_url": reverse("admin:backoffice_inboxevent_changelist", current_app=self.name),
            "outbox_url": _query(
                reverse("admin:backoffice_outboxevent_changelist", current_app=self.name), published_at__isnull="True"
            ),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/backoffice/pipeline.html", context)


class BackofficeAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.BackofficeAdminSite"
