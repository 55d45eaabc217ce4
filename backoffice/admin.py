from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backoffice.admin_tools import BackofficeModelAdmin, ReadOnlyAdminMixin
from backoffice.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("created_at", "actor_label", "actor_kind", "action", "target_type", "target_repr", "change_summary")
    list_filter = ("actor_kind", "action", "target_type")
    search_fields = ("=target_id", "target_repr", "actor_label", "action", "=request_id")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = (
        "created_at",
        "actor",
        "actor_kind",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "changes_table",
        "note",
        "request_id",
        "metadata_pretty",
    )
    exclude = ("changes", "metadata")
    actions = None

    @admin.display(description=_("changed fields"))
    def change_summary(self, entry: AuditLog) -> str:
        return ", ".join(entry.changes.keys())

    @admin.display(description=_("changes"))
    def changes_table(self, entry: AuditLog) -> str:
        if not entry.changes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>",
            ((name, values[0], values[1]) for name, values in entry.changes.items()),
        )
        return format_html("<table>{}</table>", rows)

    @admin.display(description=_("metadata"))
    def metadata_pretty(self, entry: AuditLog) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.metadata, ensure_ascii=False, indent=2))
