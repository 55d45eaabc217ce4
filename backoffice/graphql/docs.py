"""Descriptions for every field: the API is documented in its schema (GraphiQL, ``schema.graphql``).

graphene-django describes a model field only by its ``help_text``; the others get their model's
``verbose_name`` here (in English: the schema is a contract for other services, whatever language is active).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.text import capfirst
from graphene import Dynamic


def describe_model_fields(*types: Any) -> None:
    with translation.override("en"):
        for graphene_type in types:
            model = graphene_type._meta.model
            for name, field in graphene_type._meta.fields.items():
                if getattr(field, "description", None):
                    continue
                try:
                    model_field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                text = str(capfirst(getattr(model_field, "verbose_name", name)))
                if getattr(model_field, "help_text", ""):
                    text = f"{text}: {model_field.help_text}"
                if isinstance(field, Dynamic):
                    # Relations are resolved lazily (the related type may be defined later): describe the
                    # field when it is made.
                    field.type = _described(field.type, f"{text}.")
                else:
                    field.description = f"{text}."


def _described(make: Callable[[], Any], text: str) -> Callable[[], Any]:
    def make_described() -> Any:
        made = make()
        if made is not None and not getattr(made, "description", None):
            made.description = text
        return made

    return make_described
