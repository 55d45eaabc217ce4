"""Wires the report pages into the admin site (URLs, the "Reports" entry of the index and sidebar, the
overview on the index page). Rollup rows have no admin of their own: the pages are how people read them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.translation import pgettext_lazy

from reports import views
from reports.pages import PAGE_TITLES


def report_urls(site: admin.AdminSite) -> list[Any]:
    def page(slug: str) -> Any:
        return site.admin_view(lambda request: views.report_view(request, slug, site))

    return [path(f"reports/{slug}/", page(slug), name=f"reports_{slug}") for slug in PAGE_TITLES]


def reports_app(request: HttpRequest, site: admin.AdminSite) -> dict[str, Any] | None:
    if not views.can_view_reports(request.user):
        return None
    models = [
        {
            "name": title,
            "object_name": f"Report{slug.title()}",
            "admin_url": reverse(f"admin:reports_{slug}", current_app=site.name),
            "add_url": None,
            "view_only": True,
            "perms": {"add": False, "change": False, "delete": False, "view": True},
        }
        for slug, title in PAGE_TITLES.items()
    ]
    return {
        # "Reports" alone is also the users' reports (신고) in the moderation app: a context keeps them apart.
        "name": pgettext_lazy("report pages", "Reports"),
        "app_label": "reports",
        "app_url": models[0]["admin_url"],
        "has_module_perms": True,
        "models": models,
    }


site = admin.site
site.url_providers.append(report_urls)  # type: ignore[attr-defined]
site.app_providers.append(reports_app)  # type: ignore[attr-defined]
site.index_providers.append(views.overview_context)  # type: ignore[attr-defined]
