"""Admin building blocks shared by every app's admin: cheap pagination and safe defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property


class BoundedCountPaginator(Paginator):
    """Counts at most ``ADMIN_COUNT_LIMIT + 1`` rows.

    ``COUNT(*)`` over millions of rows costs seconds on every changelist view; counting through
    ``LIMIT n+1`` costs at most n index entries. Beyond the limit the page says "more than N" and the last
    pages are reached through filters or search, which is how staff work anyway.
    """

    @cached_property
    def count_limit(self) -> int:
        return int(getattr(settings, "ADMIN_COUNT_LIMIT", 10_000))

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        object_list = self.object_list
        if hasattr(object_list, "order_by"):
            # Ordering is irrelevant to a count and only makes the subquery slower.
            return object_list.order_by()[: self.count_limit + 1].count()
        return len(object_list)

    @cached_property
    def count_is_bounded(self) -> bool:
        return self.count > self.count_limit


class BackofficeModelAdmin(admin.ModelAdmin):
    """Defaults for every changelist: no full-table count, a bounded paginator, reasonable page size."""

    paginator = BoundedCountPaginator
    show_full_result_count = False
    # Facet counts run one COUNT per filter choice over the whole table; too slow at millions of rows.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 500


class ReadOnlyAdminMixin:
    """For records nobody edits by hand (audit rows, event history): view only, for everyone."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
