"""Shared infrastructure tables. This module imports no app: every app writes here, never the reverse."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogImmutableError(RuntimeError):
    """Raised on any attempt to change or delete an audit row: the log is append-only."""


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")
    API = "api", _("API client")
    MARKETPLACE = "marketplace", _("Marketplace event")


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    # Bulk paths bypass Model.save()/delete(), so they are closed here too.
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutableError("The audit log is append-only; rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("The audit log is append-only; rows cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditLogImmutableError("The audit log is append-only; rows cannot be updated.")


class AuditLog(models.Model):
    """One staff or automated action. Written only through ``backoffice.audit.audit_record``.

    Append-only at three levels: this model refuses updates and deletes, no change/delete permission
    exists (``default_permissions``), and on PostgreSQL a trigger rejects UPDATE and DELETE from any client.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # A user with history is deactivated, never deleted: the trail must keep pointing at them.
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    actor_label = models.CharField(
        _("actor label"),
        max_length=150,
        help_text=_("Who acted, as named at the time: a username, an API client or the automated job."),
    )
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    # {field: [before, after]}, only the fields that changed.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        # Only "view": there is no add/change/delete permission to grant, superusers included (the admin
        # also refuses them explicitly).
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutableError("The audit log is append-only; rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("The audit log is append-only; rows cannot be deleted.")


class OutboxEvent(models.Model):
    """An event for the marketplace, written in the same transaction as the change it announces.

    The relay publishes unpublished rows in id order (commit order for rows of one writer) to the
    ``backoffice.events`` stream and then marks them; a crash in between republishes, never loses, and
    consumers deduplicate by ``event_id`` (EVENTS.md).
    """

    event_id = models.UUIDField(_("event id"), unique=True, editable=False)
    type = models.CharField(_("type"), max_length=64)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    stream_id = models.CharField(_("stream entry id"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox")
        ordering = ["id"]
        default_permissions = ("view",)
        indexes = [
            # The relay's scan: unpublished rows in id order, tiny however large the table grows.
            models.Index(fields=["id"], name="outbox_unpublished_idx", condition=models.Q(published_at=None)),
            models.Index(fields=["type", "-created_at"], name="outbox_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"

    def envelope(self) -> dict[str, Any]:
        """The EVENTS.md envelope, as published."""
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "source": "backoffice",
            "payload": self.payload,
        }
