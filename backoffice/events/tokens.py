"""API tokens: created in the admin, stored as a SHA-256 hash, checked by scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from backoffice.audit import Actor, audit_record
from backoffice.models import ApiScope, ApiToken

TOKEN_PREFIX = "bo_"
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(
    *, actor: Actor, name: str, scopes: Sequence[str], expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored and shown to staff once."""
    unknown = set(scopes) - set(ApiScope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=raw[:10],
        token_hash=hash_token(raw),
        scopes=sorted(set(scopes)),
        created_by=actor.user,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor, action="api_token.created", target=token, after={"scopes": token.scopes, "expires_at": expires_at}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoked", target=token)
    return token


def authenticate(authorization_header: str) -> ApiToken | None:
    """The active (not revoked, not expired) token named by an ``Authorization: Bearer …`` header, or None."""
    scheme, _, raw = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = (
        ApiToken.objects.filter(token_hash=hash_token(raw.strip()), revoked_at__isnull=True)
        .exclude(expires_at__lte=timezone.now())
        .first()
    )
    now = timezone.now()
    if token is not None and (token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION):
        # Tells staff which tokens are still in use before they revoke one; to the minute, so a busy service
        # does not write this row on every request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
