"""Load only what a connection's query asks for.

graphene-django loads whole rows; a page of 50 postings with their employers is ~100 model instances with
every column (descriptions, a dozen timestamps), which costs more Python time than the query itself. From the
selection under ``edges { node { … } }`` (fragments followed) this reads the model's concrete fields and those
of the foreign keys the query follows (joined in the same query), as dicts.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from graphene.utils.str_converters import to_snake_case
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> dict[str, FieldNode]:
    found: dict[str, FieldNode] = {}
    if selection_set is None:
        return found
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.setdefault(selection.name.value, selection)
        elif isinstance(selection, InlineFragmentNode):
            found.update(_fields(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            found.update(_fields(fragments[selection.name.value].selection_set, fragments))
    return found


def _columns(
    model: type[models.Model], node: SelectionSetNode | None, fragments: dict[str, Any], prefix: str, joins: list[str]
) -> list[str]:
    columns = [f"{prefix}{model._meta.pk.name}"]
    for name, field_node in _fields(node, fragments).items():
        try:
            model_field = model._meta.get_field(to_snake_case(name))
        except FieldDoesNotExist:
            continue
        if not model_field.concrete:
            continue
        if model_field.is_relation and field_node.selection_set is not None:
            related = model_field.related_model
            columns.append(f"{prefix}{model_field.name}")
            joins.append(f"{prefix}{model_field.name}")
            columns += _columns(related, field_node.selection_set, fragments, f"{prefix}{model_field.name}__", joins)
        else:
            columns.append(f"{prefix}{model_field.name}")
    return columns


def _node_selection(info: Any, fragments: dict[str, Any]) -> SelectionSetNode | None:
    """The selection under this connection field's ``edges { node { … } }``."""
    for field_node in info.field_nodes:
        edges = _fields(field_node.selection_set, fragments).get("edges")
        node = _fields(edges.selection_set, fragments).get("node") if edges is not None else None
        if node is not None:
            return node.selection_set
    return None


def rows_selected(queryset: models.QuerySet[Any], info: Any, typenames: dict[type[models.Model], str]) -> Any:
    """The columns the query selects (and those of the foreign keys it follows) as plain dicts (``.values()``),
    nested per foreign key and tagged with their GraphQL type (``ScopedType.is_type_of`` accepts them).

    A page of 50 postings with employers as model instances costs about 3 ms more Python time than the same
    columns as dicts; for the hottest list a consumer reads, that is most of GraphQL's overhead over a
    hand-written view. Only for types whose fields are all plain columns (no resolver reading the model)."""
    fragments = dict(info.fragments)
    node_selection = _node_selection(info, fragments)
    if node_selection is None:
        return queryset
    joins: list[str] = []
    columns = [
        c for c in dict.fromkeys(_columns(queryset.model, node_selection, fragments, "", joins)) if c not in joins
    ]
    relations = {join: queryset.model._meta.get_field(join).related_model for join in joins if "__" not in join}
    rows = queryset.values(*columns)
    rows._iterable_class = _nested_rows(typenames[queryset.model], {k: typenames[m] for k, m in relations.items()})
    return rows


def _nested_rows(typename: str, relations: dict[str, str]) -> type:
    from django.db.models.query import ValuesIterable

    class NestedRows(ValuesIterable):
        def __iter__(self) -> Any:
            for row in super().__iter__():
                nested: dict[str, Any] = {TYPENAME_KEY: typename}
                for key, value in row.items():
                    relation, _, column = key.partition("__")
                    if column and relation in relations:
                        nested.setdefault(relation, {TYPENAME_KEY: relations[relation]})[column] = value
                    else:
                        nested[key] = value
                yield nested

    return NestedRows


TYPENAME_KEY = "__graphql_type__"
