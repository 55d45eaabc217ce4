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


class Transport(models.TextChoices):
    REDIS = "redis", _("Redis stream")
    HTTP = "http", _("HTTP")
    REQUEUE = "requeue", _("Re-queued by staff")


class InboxEvent(models.Model):
    """A consumed marketplace event, recorded in the same transaction as its effects: redelivery is harmless."""

    event_id = models.UUIDField(_("event id"), primary_key=True)
    type = models.CharField(_("type"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices)

    class Meta:
        verbose_name = _("consumed event")
        verbose_name_plural = _("inbox")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["type", "-received_at"], name="inbox_type_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class ParkedEvent(models.Model):
    """An event whose entity is not known yet (an update before its create). Applied when the entity arrives,
    dead-lettered when it has not arrived by ``expires_at``."""

    event_id = models.UUIDField(_("event id"), unique=True)
    type = models.CharField(_("type"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))
    waiting_for = models.CharField(_("waiting for"), max_length=100, db_index=True)
    envelope = models.JSONField(_("envelope"))
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices)
    parked_at = models.DateTimeField(_("parked at"), default=timezone.now)
    expires_at = models.DateTimeField(_("give up at"), db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("parked event")
        verbose_name_plural = _("parked events")
        default_permissions = ("view",)
        ordering = ["occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} waiting for {self.waiting_for}"


class DeadLetterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REQUEUED = "requeued", _("Re-queued")
    DISCARDED = "discarded", _("Discarded")


class DeadLetter(models.Model):
    """Input that could not be applied, kept with the reason and the raw payload: nothing is dropped."""

    event_id = models.CharField(_("event id"), max_length=64, blank=True, db_index=True)
    type = models.CharField(_("type"), max_length=64, blank=True)
    reason = models.TextField(_("reason"))
    raw = models.TextField(_("raw payload"))
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices)
    source_ref = models.CharField(_("stream entry / request"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=DeadLetterStatus.choices, default=DeadLetterStatus.OPEN
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        permissions = [("requeue_deadletter", _("Can re-queue dead letters"))]
        default_permissions = ("view", "change")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="deadletter_status_idx"),
            models.Index(fields=["type", "-created_at"], name="deadletter_type_idx"),
            # The consumer's check that a redelivered stream entry was dead-lettered already.
            models.Index(fields=["transport", "source_ref"], name="deadletter_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type or '?'}: {self.reason[:60]}"


class ApiScope(models.TextChoices):
    JOBS_READ = "jobs:read", "jobs:read"
    MODERATION_READ = "moderation:read", "moderation:read"
    MODERATION_WRITE = "moderation:write", "moderation:write"
    REPORTS_READ = "reports:read", "reports:read"
    EVENTS_WRITE = "events:write", "events:write"


class ApiToken(models.Model):
    """A bearer token for an internal service. Only its SHA-256 is stored; the token is shown once."""

    name = models.CharField(_("client name"), max_length=100, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False, help_text=_("To recognise the token."))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    # Internal services rotate their tokens: an expiry makes a forgotten one stop working by itself.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class NotificationKind(models.TextChoices):
    SLA_BREACH = "sla_breach", _("SLA breach")
    DIGEST = "digest", _("Daily digest")
    JOB_FAILED = "job_failed", _("Automation failure")
    BACKGROUND_JOB = "background_job", _("Background job finished")


class Notification(models.Model):
    """An in-admin message for one staff member (shown in the admin's header, with a badge for unread ones).

    Written by automation (SLA escalations, digests, finished background jobs) through
    ``backoffice.notifications.notify``, which also sends the e-mail when asked."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # Notifications about one thing (e.g. one case's SLA breach) are not repeated to the same person.
    dedup_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title


class BackgroundJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class BackgroundJob(models.Model):
    """A long admin action (a bulk decision, a rule dry-run over many postings) run by a Celery task.

    The admin shows its progress (``done`` of ``total``) while it runs and its result when it ends, so no
    request has to wait for tens of thousands of rows. Written only through ``backoffice.background``."""

    kind = models.CharField(_("kind"), max_length=64)
    label = models.CharField(_("what"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=BackgroundJobStatus.choices, default=BackgroundJobStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    message = models.CharField(_("progress"), max_length=300, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="background_job_user_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.status == BackgroundJobStatus.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (BackgroundJobStatus.SUCCEEDED, BackgroundJobStatus.FAILED)
