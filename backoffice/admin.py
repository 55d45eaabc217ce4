from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backoffice.admin_tools import BackofficeModelAdmin, ReadOnlyAdminMixin
from backoffice.audit import Actor
from backoffice.events import services as event_services
from backoffice.events.tokens import api_token_create, api_token_revoke
from backoffice.models import (
    ApiScope,
    ApiToken,
    AuditLog,
    DeadLetter,
    DeadLetterStatus,
    InboxEvent,
    OutboxEvent,
    ParkedEvent,
)


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


# --- event pipeline -------------------------------------------------------------------------------------
@admin.register(DeadLetter)
class DeadLetterAdmin(BackofficeModelAdmin):
    list_display = ("created_at", "type", "short_reason", "event_id", "transport", "source_ref", "status")
    list_filter = ("status", "type", "transport")
    search_fields = ("reason", "=event_id", "raw", "=source_ref")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    readonly_fields = ("created_at", "event_id", "type", "reason", "transport", "source_ref", "status", "resolved_at")
    fields = ("created_at", "status", "type", "event_id", "transport", "source_ref", "reason", "raw", "resolved_at")
    actions = ["requeue", "discard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # discard instead: the record of what was received stays

    @admin.display(description=_("reason"))
    def short_reason(self, letter: DeadLetter) -> str:
        return letter.reason[:120]

    def save_model(self, request: HttpRequest, obj: DeadLetter, form: Any, change: bool) -> None:
        if "raw" in form.changed_data:
            event_services.dead_letter_edit(actor=Actor.staff(request.user), dead_letter=obj, raw=obj.raw)

    @admin.action(description=_("Re-queue selected (after fixing the payload)"), permissions=["requeue"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done = 0
        for letter in queryset.filter(status=DeadLetterStatus.OPEN)[:500]:
            applied, detail = event_services.dead_letter_requeue(actor=Actor.staff(request.user), dead_letter=letter)
            if applied:
                done += 1
            else:
                self.message_user(request, f"#{letter.pk}: {detail}", messages.ERROR)
        self.message_user(request, _("%(count)d re-queued.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Discard selected"), permissions=["requeue"])
    def discard(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        for letter in queryset.filter(status=DeadLetterStatus.OPEN)[:500]:
            event_services.dead_letter_discard(actor=Actor.staff(request.user), dead_letter=letter)
        self.message_user(request, _("Discarded."), messages.SUCCESS)

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.requeue_deadletter")


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("received_at", "type", "event_id", "occurred_at", "transport")
    list_filter = ("type", "transport")
    search_fields = ("=event_id",)
    ordering = ("-received_at",)


@admin.register(ParkedEvent)
class ParkedEventAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("parked_at", "type", "waiting_for", "event_id", "attempts", "expires_at")
    list_filter = ("type",)
    search_fields = ("=event_id", "waiting_for")
    ordering = ("occurred_at",)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("id", "created_at", "type", "event_id", "published_at", "stream_id")
    list_filter = ("type",)
    search_fields = ("=event_id",)
    ordering = ("-id",)


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ("name", "scopes")


@admin.register(ApiToken)
class ApiTokenAdmin(BackofficeModelAdmin):
    form = ApiTokenForm
    list_display = ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        # A token's scopes are fixed at creation: widening one silently would surprise its owner's reviewers.
        return (*self.readonly_fields, "name", "scopes") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so audit rows keep pointing at the token

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, raw = api_token_create(
            actor=Actor.staff(request.user), name=obj.name, scopes=form.cleaned_data["scopes"]
        )
        obj.pk = token.pk
        self.message_user(
            request,
            _("Token for %(name)s: %(raw)s — copy it now, it is shown only once (only its hash is stored).")
            % {"name": token.name, "raw": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(actor=Actor.staff(request.user), token=token)
        self.message_user(request, _("Revoked."), messages.SUCCESS)
