"""``/graphql/``: graphene-django's view with authentication, limits, a document cache and safe errors.

- **Who**: ``Authorization: Bearer <token>`` (an API token: active, not expired; its scopes apply) or a staff
  session (CSRF-checked; the scopes its role's permissions give). Anyone else gets 401 before any parsing.
  GraphiQL and introspection are for staff sessions only.
- **Parse and validate once per query text**: a repeated query (the normal case for internal services) skips
  both — they cost about 0.7 ms each time in graphene-django's view. The cache is keyed by the SHA-256 of the
  text and bounded; the parser stops at ``GRAPHQL_MAX_TOKENS`` tokens.
- **Limits and scopes** (``limits.check_limits``) per request, with the variables, before any resolver runs:
  every type the operation can reach declares its scope, and a request lacking one is refused whole.
- **Errors**: GraphQL and domain errors are returned as they are; anything else is logged and returned as
  "Internal error" (no stack trace or message from the code reaches a client unless ``DEBUG``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from graphene_django.views import GraphQLView
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from backoffice.events.tokens import authenticate
from backoffice.graphql.limits import check_limits
from backoffice.graphql.scopes import request_scopes

logger = logging.getLogger(__name__)


class _DocumentCache:
    """Parsed and validated documents by the SHA-256 of their text (least recently used out first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, schema: Any, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        key = hashlib.sha256(query.encode("utf-8")).hexdigest()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        try:
            document: DocumentNode | None = parse(query, max_tokens=int(getattr(settings, "GRAPHQL_MAX_TOKENS", 5000)))
            errors = list(validate(schema, document))
        except GraphQLError as error:
            document, errors = None, [error]
        with self._lock:
            self._items[key] = (document, errors)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return document, errors


DOCUMENTS = _DocumentCache(size=500)


def _never_awaitable(value: Any) -> bool:
    return False


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


class BackofficeGraphQLView(GraphQLView):
    graphiql = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header:
            token = authenticate(header)
            if token is None:
                return _error(401, "The API token is unknown, revoked or expired.", "UNAUTHENTICATED")
            request.api_token = token  # type: ignore[attr-defined]
        elif request.user.is_authenticated and request.user.is_staff:
            # A browser session: mutations must carry the CSRF token like any admin form.
            rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
            if rejected is not None:
                return rejected
        else:
            return _error(401, "Send Authorization: Bearer <token>, or sign in to the admin.", "UNAUTHENTICATED")
        return super().dispatch(request, *args, **kwargs)

    def can_display_graphiql(self, request: HttpRequest, data: Any) -> bool:  # type: ignore[override]
        is_staff_session = getattr(request, "api_token", None) is None and request.user.is_staff
        return is_staff_session and super().can_display_graphiql(request, data)

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> ExecutionResult | None:
        if not query:
            if show_graphiql:
                return None
            return ExecutionResult(errors=[GraphQLError("Must provide a query.", extensions={"code": "BAD_REQUEST"})])
        schema = self.schema.graphql_schema
        document, errors = DOCUMENTS.get(schema, query)
        if errors or document is None:
            return ExecutionResult(data=None, errors=errors)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return ExecutionResult(
                errors=[GraphQLError("Name the operation to run.", extensions={"code": "BAD_REQUEST"})]
            )
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            return ExecutionResult(errors=[GraphQLError("Mutations need POST.", extensions={"code": "BAD_REQUEST"})])
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        is_staff_session = getattr(request, "api_token", None) is None and request.user.is_staff
        refused, needed = check_limits(schema, operation, fragments, variables, allow_introspection=is_staff_session)
        missing = sorted(needed - request_scopes(request))
        if missing:
            refused.append(
                GraphQLError(
                    f"This query needs the {', '.join(missing)} scope{'s' if len(missing) > 1 else ''}.",
                    extensions={"code": "FORBIDDEN", "scopes": missing},
                )
            )
        if refused:
            return ExecutionResult(data=None, errors=refused)
        options = {
            "context_value": request,
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
            # The view is synchronous: skip graphql-core's "is this awaitable?" check on every resolved value.
            "is_awaitable": _never_awaitable,
        }
        if operation.operation == OperationType.MUTATION:
            # One transaction per mutation request: a failed mutation leaves nothing behind.
            with transaction.atomic():
                return execute(schema, document, **options)
        return execute(schema, document, **options)

    @staticmethod
    def format_error(error: Exception) -> dict[str, Any]:
        if isinstance(error, GraphQLError):
            original = error.original_error
            if original is None or isinstance(original, GraphQLError | ValidationError | PermissionDenied):
                formatted = error.formatted
                if isinstance(original, ValidationError | PermissionDenied):
                    formatted["extensions"] = {"code": type(original).__name__.upper()}
                return formatted
            logger.error("graphql.internal_error path=%s", error.path, exc_info=original)
            if settings.DEBUG:
                return error.formatted
            return {
                "message": "Internal error.",
                "path": error.path,
                "extensions": {"code": "INTERNAL_ERROR"},
            }
        logger.error("graphql.internal_error", exc_info=error)
        return {"message": "Internal error.", "extensions": {"code": "INTERNAL_ERROR"}}
