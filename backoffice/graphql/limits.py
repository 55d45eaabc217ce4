"""What one GraphQL request may ask for, checked before any resolver runs.

- every connection needs ``first`` or ``last``, at most ``GRAPHQL_MAX_PAGE_SIZE``;
- depth at most ``GRAPHQL_MAX_DEPTH`` (a connection's ``edges { node { … } }`` counts its levels);
- cost at most ``GRAPHQL_MAX_COST``: each field costs the number of times it can be resolved, i.e. the product
  of the page sizes of the connections above it (Saleor's cost map, simplified to page sizes);
- at most ``GRAPHQL_MAX_ALIASES`` aliases (aliases repeat a field without nesting);
- introspection (``__schema``, ``__type``) only for staff sessions.

It also collects the scopes the operation needs (each type's ``required_scope``, a resolver's ``@requires``),
so a request is refused whole, before anything runs, when its token lacks one.

Variables are known here (the check runs per request, after the cached parse and validation), so
``first: $n`` is checked with the value sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from backoffice.graphql.scopes import required_scope


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass
class _Measure:
    depth: int = 0
    cost: int = 0
    aliases: int = 0
    introspection: bool = False
    errors: list[GraphQLError] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)


def _int_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> tuple[bool, int | None]:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return True, int(value.value)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            return raw is not None, int(raw) if isinstance(raw, int) else None
        return True, None
    return False, None


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "edges" in type_.fields


def check_limits(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    *,
    allow_introspection: bool,
) -> tuple[list[GraphQLError], frozenset[str]]:
    """(refusals, the scopes the operation's fields need)."""
    max_page = _setting("GRAPHQL_MAX_PAGE_SIZE", 100)
    measure = _Measure()
    root = schema.get_root_type(operation.operation)
    _walk(operation.selection_set, root, fragments, variables or {}, 0, 1, measure, max_page, frozenset(), schema)
    errors = list(measure.errors)
    limits = {
        "depth": (measure.depth, _setting("GRAPHQL_MAX_DEPTH", 10)),
        "cost": (measure.cost, _setting("GRAPHQL_MAX_COST", 10_000)),
        "aliases": (measure.aliases, _setting("GRAPHQL_MAX_ALIASES", 15)),
    }
    for name, (value, limit) in limits.items():
        if value > limit:
            errors.append(
                GraphQLError(
                    f"Query {name} {value} is over the limit of {limit}.",
                    extensions={"code": "QUERY_TOO_COMPLEX", "limit": name, "value": value, "max": limit},
                )
            )
    if measure.introspection and not allow_introspection:
        errors.append(GraphQLError("Introspection is only for staff.", extensions={"code": "INTROSPECTION_DISABLED"}))
    return errors, frozenset(measure.scopes)


def _walk(
    selection_set: SelectionSetNode,
    parent: Any,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    depth: int,
    multiplier: int,
    measure: _Measure,
    max_page: int,
    seen_fragments: frozenset[str],
    schema: GraphQLSchema,
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if selection.alias is not None:
                measure.aliases += 1
            if name in ("__schema", "__type"):
                measure.introspection = True
                continue
            if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                continue
            definition = parent.fields.get(name)
            if definition is None:
                continue  # validation reports unknown fields
            child = get_named_type(definition.type)
            scope = required_scope(definition.type) or getattr(definition.resolve, "required_scope", "")
            if scope:
                measure.scopes.add(scope)
            page = 1
            if _is_connection(child):
                has_first, first = _int_argument(selection, "first", variables)
                has_last, last = _int_argument(selection, "last", variables)
                size = first if has_first else last
                if not (has_first or has_last):
                    measure.errors.append(
                        GraphQLError(
                            f"`{name}` needs `first` or `last` (at most {max_page}).",
                            [selection],
                            extensions={"code": "PAGINATION_REQUIRED"},
                        )
                    )
                elif size is None or size < 0 or size > max_page:
                    measure.errors.append(
                        GraphQLError(
                            f"`{name}`: `first`/`last` must be between 0 and {max_page}.",
                            [selection],
                            extensions={"code": "PAGE_TOO_LARGE"},
                        )
                    )
                page = max(1, min(size or max_page, max_page))
            measure.cost += multiplier
            measure.depth = max(measure.depth, depth + 1)
            if selection.selection_set is not None:
                _walk(
                    selection.selection_set, child, fragments, variables, depth + 1, multiplier * page,
                    measure, max_page, seen_fragments, schema,
                )  # fmt: skip
        elif isinstance(selection, InlineFragmentNode):
            type_ = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            _walk(
                selection.selection_set, type_, fragments, variables, depth, multiplier, measure, max_page,
                seen_fragments, schema,
            )  # fmt: skip
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen_fragments:
                continue  # unknown or cyclic: validation reports it
            _walk(
                fragment.selection_set, schema.get_type(fragment.type_condition.name.value), fragments, variables,
                depth, multiplier, measure, max_page, seen_fragments | {name}, schema,
            )  # fmt: skip
