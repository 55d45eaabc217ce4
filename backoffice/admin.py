from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backoffice.admin_site import BackofficeAdminSite
from backoffice.admin_tools import BackofficeModelAdmin, ReadOnlyAdminMixin
from backoffice.audit import Actor
from backoffice.events import services as event_services
from backoffice.events.tokens import api_token_create, api_token_revoke
from backoffice.models import (
    ApiScope,
    ApiToken,
    AuditLog,
    BackgroundJob,
    DeadLetter,
    DeadLetterStatus,
    InboxEvent,
    Notification,
    OutboxEvent,
    ParkedEvent,
)
from backoffice.notifications import mark_read, unread_count


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
        fields = ("name", "scopes", "expires_at")


@admin.register(ApiToken)
class ApiTokenAdmin(BackofficeModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name", "prefix", "scopes", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"
    )  # fmt: skip
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        # A token's scopes are fixed at creation: widening one silently would surprise its owner's reviewers.
        return (*self.readonly_fields, "name", "scopes", "expires_at") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so audit rows keep pointing at the token

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, raw = api_token_create(
            actor=Actor.staff(request.user),
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
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


def _sees_everyones(request: HttpRequest) -> bool:
    # Ops admins (who may see the pipeline) follow everyone's jobs; others see their own.
    return bool(request.user.is_superuser or request.user.has_perm("backoffice.view_inboxevent"))


@admin.register(BackgroundJob)
class BackgroundJobAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    """Long admin actions run by a worker: progress while they run, the result when they end."""

    list_display = ("label", "kind", "requested_by", "status", "progress", "created_at", "finished_at")
    list_filter = ("status", "kind")
    list_select_related = ("requested_by",)
    refresh_seconds = 2

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or obj.requested_by_id == request.user.pk or _sees_everyones(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BackgroundJob]:
        queryset = super().get_queryset(request)
        return queryset if _sees_everyones(request) else queryset.filter(requested_by=request.user)

    @admin.display(description=_("progress"))
    def progress(self, job: BackgroundJob) -> str:
        return format_html(
            '<progress max="100" value="{}" aria-label="{}"></progress> {} %', job.percent, job.label, job.percent
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        if job is None or not self.has_view_permission(request, job):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": job.label,
            "opts": self.opts,
            "job": job,
            "refresh_seconds": None if job.is_finished else self.refresh_seconds,
            "tables": job.result.get("tables", []) if isinstance(job.result, dict) else [],
            "summary": job.result.get("summary", []) if isinstance(job.result, dict) else [],
        }
        return TemplateResponse(request, "admin/backoffice/backgroundjob/detail.html", context)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    """Each staff member's own notifications (SLA breaches, digests, finished background jobs)."""

    list_display = ("title_link", "kind", "created_at", "read")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    actions = ["mark_read"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or obj.recipient_id == request.user.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        return super().get_queryset(request).filter(recipient=request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Marking one's own notifications read is not a change permission on the model.
        actions = super().get_actions(request)
        actions["mark_read"] = self.get_action("mark_read")
        return actions

    @admin.display(description=_("title"), ordering="title")
    def title_link(self, notification: Notification) -> str:
        if notification.url:
            return format_html('<a href="{}">{}</a>', notification.url, notification.title)
        return notification.title

    @admin.display(description=_("read"), boolean=True)
    def read(self, notification: Notification) -> bool:
        return notification.read_at is not None

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = mark_read(request.user, queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d marked as read.") % {"count": count}, messages.SUCCESS)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Opening a notification marks it read and goes where it points (or shows it)."""
        notification = self.get_object(request, object_id)
        if notification is None or notification.recipient_id != request.user.pk:
            raise PermissionDenied
        mark_read(request.user, [notification.pk])
        if notification.url:
            return HttpResponseRedirect(notification.url)
        return super().change_view(request, object_id, form_url, extra_context)


def _unread_notifications(request: HttpRequest) -> dict[str, int]:
    if not request.user.is_authenticated:
        return {}
    count = unread_count(request.user)
    return {"backoffice.notification": count} if count else {}


BackofficeAdminSite.nav_badge_providers.append(_unread_notifications)
