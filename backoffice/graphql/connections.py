"""Connections without hidden COUNTs.

graphene-django's ``DjangoConnectionField`` runs ``COUNT(*)`` for every connection it resolves (one per parent
on nested connections) only to slice the page. ``PagedConnectionField`` fetches ``first + 1`` rows instead
(the extra row says whether there is a next page) and counts only when the query asks for ``totalCount``.
Forward pagination (``first`` / ``after``) and backward from a cursor (``last`` / ``before``) are supported.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from graphene_django.filter import DjangoFilterConnectionField
from graphql import GraphQLError
from graphql_relay import cursor_to_offset, offset_to_cursor


class CountableConnection(relay.Connection):
    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, node: Any = None, description: str | None = None, **options: Any) -> None:
        name = node._meta.name if node is not None else "items"
        description = description or f"A page of {name} items: pass `first` (with `after`) or `last` (with `before`)."
        super().__init_subclass_with_meta__(node=node, description=description, **options)

    total_count = graphene.Int(
        description="How many items match, counted only when asked for (it costs a COUNT over the whole match)."
    )

    def resolve_total_count(self, info: Any) -> int:
        return self.iterable.count()


class PagedConnectionField(DjangoFilterConnectionField):
    @classmethod
    def resolve_queryset(
        cls, connection: Any, iterable: Any, info: Any, args: dict[str, Any], filtering_args: Any, filterset_class: Any
    ) -> Any:
        # Building a FilterSet (copying its form fields) costs on every request; skip it when nothing filters.
        if not any(args.get(name) is not None for name in filtering_args):
            return connection._meta.node.get_queryset(iterable, info)
        return super().resolve_queryset(connection, iterable, info, args, filtering_args, filterset_class)

    @classmethod
    def resolve_connection(
        cls, connection: Any, args: dict[str, Any], iterable: Any, max_limit: int | None = None
    ) -> Any:
        first, last = args.get("first"), args.get("last")
        after, before = args.get("after"), args.get("before")
        if first is not None:
            start = cursor_to_offset(after) + 1 if after else max(0, args.get("offset") or 0)
            size = first
        elif last is not None:
            if not before:
                raise GraphQLError("`last` needs `before` (a cursor) here.", extensions={"code": "BAD_REQUEST"})
            end = cursor_to_offset(before)
            start, size = max(0, end - last), min(last, end)
        else:
            raise GraphQLError("Pass `first` or `last`.", extensions={"code": "PAGINATION_REQUIRED"})
        rows = list(iterable[start : start + size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        edge_type = connection.Edge
        edges = [edge_type(node=row, cursor=offset_to_cursor(start + i)) for i, row in enumerate(rows)]
        page_info = relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=start > 0,
            has_next_page=has_next,
        )
        result = connection(edges=edges, page_info=page_info)
        result.iterable = iterable
        result.length = None
        return result
