"""Who is asking and what they may read or do: API token scopes, or a staff member's permissions.

Every type and mutation declares the scope it needs once (``required_scope`` on the type, ``@requires`` on a
mutation); the checks live here, so every path (root fields, connections, nested fields, ``node(id)``) goes
through the same one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from graphql import GraphQLError, get_named_type

from backoffice.models import ApiScope

# What a staff session may do through the API, from the permissions its role already grants in the admin.
STAFF_SCOPE_PERMISSIONS: dict[str, str] = {
    ApiScope.JOBS_READ: "jobs.view_jobposting",
    ApiScope.MODERATION_READ: "moderation.view_case",
    ApiScope.MODERATION_WRITE: "moderation.decide_case",
    # The same permission as the report pages in the admin.
    ApiScope.REPORTS_READ: "reports.view_reports",
}


class ScopeError(GraphQLError):
    def __init__(self, scope: str) -> None:
        super().__init__(f"This needs the {scope} scope.", extensions={"code": "FORBIDDEN", "scope": scope})


def request_scopes(request: HttpRequest) -> frozenset[str]:
    """The scopes of the token the request carries, or those a staff session's permissions give."""
    cached = getattr(request, "_graphql_scopes", None)
    if cached is not None:
        return cached
    token = getattr(request, "api_token", None)
    if token is not None:
        scopes = frozenset(token.scopes)
    elif request.user.is_authenticated and request.user.is_staff:
        scopes = frozenset(s for s, perm in STAFF_SCOPE_PERMISSIONS.items() if request.user.has_perm(perm))
    else:
        scopes = frozenset()
    request._graphql_scopes = scopes  # type: ignore[attr-defined]
    return scopes


def check(info: Any, scope: str) -> None:
    if scope not in request_scopes(info.context):
        raise ScopeError(scope)


def requires(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For resolvers and ``mutate`` methods: refuse before anything runs when the scope is missing."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            check(info, scope)
            return func(root, info, *args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


class ScopedType:
    """Mixin for ``DjangoObjectType``s: reading the type needs ``required_scope``.

    Checked before execution for every field whose type is this one or a connection of it
    (``limits.check_limits`` collects them: root fields, nested fields, connections), and by ``get_node`` for
    ``node(id)``, whose declared type is the ``Node`` interface. Not in ``get_queryset``: graphene-django
    re-queries every foreign key of a type that overrides it (an N+1)."""

    required_scope: str = ""

    @classmethod
    def is_type_of(cls, root: Any, info: Any) -> bool:
        # Rows served as dicts (``selection.rows_selected``) carry their type's name.
        if isinstance(root, dict):
            return root.get("__graphql_type__") == cls._meta.name  # type: ignore[attr-defined]
        return super().is_type_of(root, info)  # type: ignore[misc]

    def resolve_id(self, info: Any) -> Any:
        return self["id"] if isinstance(self, dict) else self.pk  # type: ignore[attr-defined]

    @classmethod
    def get_node(cls, info: Any, id: Any) -> Any:
        if cls.required_scope:
            check(info, cls.required_scope)
        return super().get_node(info, id)  # type: ignore[misc]


def required_scope(graphql_type: Any) -> str:
    graphene_type = getattr(get_named_type(graphql_type), "graphene_type", None)
    if graphene_type is None:
        return ""
    node = getattr(getattr(graphene_type, "_meta", None), "node", None)  # a connection: its node's scope
    return getattr(node or graphene_type, "required_scope", "") or ""
