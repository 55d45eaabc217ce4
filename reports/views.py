"""Report pages inside the admin site: thin views that parse the filters, build a ``reports.pages.Page`` and
render it as HTML or as CSV (the same strings the page shows)."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from reports.forms import ReportFilterForm
from reports.pages import (
    PAGE_TITLES,
    PAGES,
    PRESET_LABELS,
    Page,
    Preset,
    category_label,
    employment_type_label,
    overview,
    region_label,
)

REPORTS_PERMISSION = "reports.view_reports"


def can_view_reports(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(REPORTS_PERMISSION)))


def _filter_summary(page: Page) -> str:
    parts = []
    if page.filters.region:
        parts.append(f"{_('Region')}: {region_label(page.filters.region)}")
    if page.filters.category:
        parts.append(f"{_('Category')}: {category_label(page.filters.category)}")
    if page.filters.employment_type:
        parts.append(f"{_('Employment type')}: {employment_type_label(page.filters.employment_type)}")
    return ", ".join(parts) or _("none")


def csv_response(page: Page, table_id: str | None) -> HttpResponse:
    tables = page.tables()
    if table_id:
        tables = [table for table in tables if table.id == table_id]
        if not tables:
            raise Http404(f"No table {table_id!r} on this page.")
    name = f"report-{page.slug}{'-' + table_id if table_id else ''}-{page.period.start}_{page.period.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # a BOM, so spreadsheet programs read the Korean text as UTF-8
    writer = csv.writer(response)
    if table_id:
        # One table: a plain grid a spreadsheet can sort and chart.
        writer.writerow(tables[0].columns)
        writer.writerows(tables[0].rows)
        return response
    writer.writerow([_("Report"), page.title])
    writer.writerow([_("Period"), str(page.period)])
    writer.writerow([_("Compared with"), str(page.period.previous)])
    writer.writerow([_("Filters"), _filter_summary(page)])
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    return response


def report_view(request: HttpRequest, slug: str, site: AdminSite) -> HttpResponse:
    if not can_view_reports(request.user):
        raise PermissionDenied
    if slug not in PAGES:
        raise Http404
    form = ReportFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    page = PAGES[slug](form.period(), form.filters()) if valid else None
    if page is not None and request.GET.get("format") == "csv":
        return csv_response(page, request.GET.get("table") or None)
    query = {k: v for k, v in request.GET.items() if k not in ("format", "table", "preset", "start", "end")}
    current = form.cleaned_data.get("preset") if valid and request.GET else Preset.MONTH
    context = {
        **site.each_context(request),
        "title": _("Report: %(title)s") % {"title": PAGE_TITLES[slug]},
        "page": page,
        "form": form,
        "slug": slug,
        "tabs": [
            (key, title, reverse(f"admin:reports_{key}", current_app=site.name)) for key, title in PAGE_TITLES.items()
        ],
        "presets": [
            (key, label, "?" + urlencode({**query, "preset": key}), key == current)
            for key, label in PRESET_LABELS.items()
        ],
        "csv_query": urlencode(
            {**{k: v for k, v in request.GET.items() if k not in ("format", "table")}, "format": "csv"}
        ),
        "filter_summary": _filter_summary(page) if page else "",
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/reports/page.html", context, status=200 if valid else 400)


def overview_context(request: HttpRequest, site: AdminSite) -> dict[str, Any]:
    """The admin index's morning numbers, for the staff allowed to read reports."""
    if not can_view_reports(request.user):
        return {}
    return {
        "reports_overview": overview(),
        "reports_links": [
            (title, reverse(f"admin:reports_{key}", current_app=site.name)) for key, title in PAGE_TITLES.items()
        ],
    }
