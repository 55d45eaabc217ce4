"""URLconf for the benchmarks only: the product's URLs plus a plain Django admin of the case table.

``bench/queue_page.py`` points ``ROOT_URLCONF`` here. ``/benchadmin/moderation/case/`` is the baseline: a
stock ``ModelAdmin`` on a separate ``AdminSite`` (Django's own paginator with its full ``COUNT(*)`` plus the
unfiltered total, no filters, stock changelist template, only the posting joined: see below), so nothing of
the back-office's queue customisation or navigation badges reaches it. Same table, same rows per page, same
middleware and admin theme.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from backoffice.urls import urlpatterns as backoffice_urlpatterns
from moderation.models import Case


class PlainCaseAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "band", "opened_at")
    ordering = ("-id",)
    # The one departure from a stock ModelAdmin: the action checkbox's aria-label is str(case), and
    # Case.__str__ reads case.target (the posting). Without this join the baseline would run one query per
    # row (55 instead of 5) and measure that N+1 rather than the changelist.
    list_select_related = ("posting",)
    # Django's default is 100; the queue shows 50, so both pages render the same number of rows.
    list_per_page = 50
    # Without this Django would pick the project's admin/moderation/case/change_list.html (the queue's).
    change_list_template = "admin/change_list.html"


bench_site = admin.AdminSite(name="benchadmin")
bench_site.register(Case, PlainCaseAdmin)

urlpatterns = [*backoffice_urlpatterns, path("benchadmin/", bench_site.urls)]
