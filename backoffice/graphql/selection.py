"""Load only the columns a connection's query asks for.

graphene-django loads whole rows; a page of 50 postings with their employers is ~100 model instances with
every column (descriptions, a dozen timestamps), which costs more Python time than the query itself. From the
selection under ``edges { node { … } }`` (fragments followed) this builds ``.only()`` for the model's concrete
fields and those of the foreign keys the query follows, plus the keys they need. Fields it does not know
(computed ones) are left to the resolvers, which then load them on access as usual.
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


def only_selected(queryset: models.QuerySet[Any], info: Any) -> models.QuerySet[Any]:
    """``queryset.select_related(...).only(...)`` for the node fields this connection field's selection asks
    for: the foreign keys it follows are joined in the same query, the columns it does not read are not
    loaded."""
    fragments = dict(info.fragments)
    node_selection = None
    for field_node in info.field_nodes:
        edges = _fields(field_node.selection_set, fragments).get("edges")
        node = _fields(edges.selection_set, fragments).get("node") if edges is not None else None
        if node is not None:
            node_selection = node.selection_set
    if node_selection is None:
        return queryset
    joins: list[str] = []
    columns = _columns(queryset.model, node_selection, fragments, "", joins)
    if joins:
        queryset = queryset.select_related(*joins)
    return queryset.only(*dict.fromkeys(columns))
