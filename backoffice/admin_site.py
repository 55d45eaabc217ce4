"""The admin site: Django's, plus the moderation backlog in the navigation on every page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class BackofficeAdminSite(admin.AdminSite):
    site_header = "Job marketplace back-office"
    site_title = "Back-office"
    index_title = "Operations"

    # Hooks other apps register (backoffice imports no app): each returns {model label: badge count}.
    nav_badge_providers: list[Any] = []

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
        return app_list


class BackofficeAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.BackofficeAdminSite"
