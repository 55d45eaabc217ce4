"""The root schema, composed from the apps' ``Query`` and ``Mutation`` mixins named in ``GRAPHQL_QUERY_MIXINS``
and ``GRAPHQL_MUTATION_MIXINS`` (backoffice
imports no app by name; each app keeps its GraphQL code in its own ``schema`` package)."""

from __future__ import annotations

import graphene
from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from graphene import relay


def build_schema() -> graphene.Schema:
    # In English whatever language is active when it is built: the schema is a contract for other services
    # (descriptions of choices come from the models' translatable labels).
    with translation.override("en"):
        return _build()


def _build() -> graphene.Schema:
    mixins = tuple(import_string(path) for path in settings.GRAPHQL_QUERY_MIXINS)
    query = type(
        "Query",
        (*mixins, graphene.ObjectType),
        {
            "__doc__": "Reads. Each type needs a scope (jobs:read, moderation:read, …), checked on every path.",
            "node": relay.Node.Field(description="Any object by its global id (the same scopes apply)."),
        },
    )
    mutations = tuple(import_string(path) for path in settings.GRAPHQL_MUTATION_MIXINS)
    mutation = (
        type(
            "Mutation",
            (*mutations, graphene.ObjectType),
            {"__doc__": "Changes, through the same services as the admin. Domain refusals come back in `errors`."},
        )
        if mutations
        else None
    )
    return graphene.Schema(query=query, mutation=mutation, auto_camelcase=True)


schema = build_schema()
