"""Telling staff: an in-admin notification per person, and optionally the same by e-mail.

Automation calls ``notify`` (SLA escalations, the daily digest, finished background jobs). A ``dedup_key``
makes a notification about one thing (one case's breach) reach each person once, however often a job runs;
e-mails go out only for notifications that were actually created, after the transaction commits (a rolled
back job sends nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.models import Notification

logger = logging.getLogger(__name__)


def staff_with_permission(permission: str) -> QuerySet[AbstractBaseUser]:
    """Active staff holding ``app_label.codename`` through a group or directly (superusers too)."""
    app_label, codename = permission.split(".", 1)
    User = get_user_model()
    has = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    )
    return User.objects.filter(is_active=True, is_staff=True).filter(has | Q(is_superuser=True)).distinct()


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedup_key: str = "",
    email: bool = False,
) -> list[Notification]:
    """Create one notification per recipient (skipping those who already have ``dedup_key``); returns the
    created ones. With ``email``, each new one is also mailed to its recipient after commit."""
    people = list(recipients)
    if dedup_key:
        already = set(
            Notification.objects.filter(recipient__in=people, dedup_key=dedup_key).values_list(
                "recipient_id", flat=True
            )
        )
        people = [person for person in people if person.pk not in already]
    rows = [
        Notification(recipient=person, kind=kind, title=title[:200], body=body, url=url[:500], dedup_key=dedup_key)
        for person in people
    ]
    # ignore_conflicts: a concurrent run notifying the same person about the same thing wins, once.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if email:
        addresses = [person.email for person in people if getattr(person, "email", "")]
        if addresses:
            transaction.on_commit(lambda: _send(title, body, url, addresses))
    return rows


def _send(title: str, body: str, url: str, addresses: Sequence[str]) -> None:
    link = f"\n\n{settings.BACKOFFICE_BASE_URL.rstrip('/')}{url}" if url else ""
    messages = [(f"[back-office] {title}", body + link, None, [address]) for address in addresses]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # the in-admin notification exists; a mail server outage must not fail the job
        logger.exception("notifications.email_failed count=%d title=%r", len(addresses), title)


UNREAD_COUNT_LIMIT = 999


def unread_count(user: AbstractBaseUser) -> int:
    """Unread notifications, counted up to ``UNREAD_COUNT_LIMIT`` (shown on every admin page: a bounded read by
    the inbox index, never a COUNT over everything)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return len(unread.values_list("pk", flat=True)[:UNREAD_COUNT_LIMIT])


def mark_read(user: AbstractBaseUser, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
