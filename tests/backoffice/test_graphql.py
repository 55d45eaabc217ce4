"""The GraphQL API's door: authentication, scopes on every path, limits before any resolver, safe errors, the
document cache, and constant SQL per request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import to_global_id

from backoffice.audit import Actor
from backoffice.events.tokens import api_token_create, api_token_revoke
from backoffice.graphql import view as graphql_view
from backoffice.roles import MODERATOR
from tests.factories import ApplicationFactory, JobPostingFactory, UserFactory
from tests.moderation.conftest import make_user

pytestmark = pytest.mark.django_db

POSTINGS = """query Postings($first: Int) { jobPostings(first: $first) {
  edges { node { id externalId title status applicationCount employer { businessName externalId } } }
  pageInfo { hasNextPage endCursor } } }"""


def token(*scopes: str, **kwargs: Any) -> str:
    _token, raw = api_token_create(actor=Actor.system("test"), name=f"svc-{len(scopes)}-{timezone.now().timestamp()}",
                                   scopes=scopes, **kwargs)  # fmt: skip
    return raw


def post(
    query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None, client: Client | None = None
) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    response = (client or Client()).post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        **headers,
    )
    return response


def codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code", "") for error in body.get("errors", [])]


class TestAuthentication:
    def test_no_credentials_unknown_revoked_or_expired_tokens_are_401(self) -> None:
        assert post(POSTINGS, {"first": 1}).status_code == 401
        assert post(POSTINGS, {"first": 1}, bearer="bo_nope").status_code == 401
        expired = token("jobs:read", expires_at=timezone.now() - dt.timedelta(minutes=1))
        assert post(POSTINGS, {"first": 1}, bearer=expired).status_code == 401
        raw = token("jobs:read")
        from backoffice.models import ApiToken

        api_token_revoke(actor=Actor.system("test"), token=ApiToken.objects.get(prefix=raw[:10]))
        assert post(POSTINGS, {"first": 1}, bearer=raw).status_code == 401

    def test_a_token_records_when_it_was_last_used(self) -> None:
        raw = token("jobs:read")
        assert post(POSTINGS, {"first": 1}, bearer=raw).status_code == 200
        from backoffice.models import ApiToken

        assert ApiToken.objects.get(prefix=raw[:10]).last_used_at is not None

    def test_staff_sessions_need_the_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(MODERATOR, "gql-mod"))
        assert post(POSTINGS, {"first": 1}, client=client).status_code == 403

    def test_graphiql_only_for_staff_sessions(self) -> None:
        client = Client()
        client.force_login(make_user(MODERATOR, "gql-mod2"))
        page = client.get("/graphql/", HTTP_ACCEPT="text/html")
        assert page.status_code == 200 and b"graphiql" in page.content.lower()
        raw = token("jobs:read")
        as_service = Client().get("/graphql/", HTTP_ACCEPT="text/html", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert b"graphiql" not in as_service.content.lower()


class TestScopes:
    def test_connections_and_node_refuse_without_the_scope(self) -> None:
        posting = JobPostingFactory()
        raw = token("moderation:read")
        response = post(POSTINGS, {"first": 5}, bearer=raw)
        body = response.json()
        # Refused whole before anything ran: the query reaches a type that needs jobs:read.
        assert response.status_code == 400 and codes(body) == ["FORBIDDEN"] and body.get("data") is None
        node = post(
            "query($id: ID!) { node(id: $id) { ... on JobPosting { title } } }",
            {"id": to_global_id("JobPosting", posting.pk)},
            bearer=raw,
        ).json()
        assert codes(node) == ["FORBIDDEN"] and node["data"]["node"] is None
        one = post(
            "query($id: ID!) { jobPosting(id: $id) { title } }",
            {"id": to_global_id("JobPosting", posting.pk)},
            bearer=raw,
        ).json()
        assert codes(one) == ["FORBIDDEN"]

    def test_allowed_with_the_scope_everywhere(self) -> None:
        posting = JobPostingFactory(title="카페 알바")
        raw = token("jobs:read")
        body = post(POSTINGS, {"first": 5}, bearer=raw).json()
        assert "errors" not in body and body["data"]["jobPostings"]["edges"][0]["node"]["title"] == "카페 알바"
        node = post(
            "query($id: ID!) { node(id: $id) { ... on JobPosting { title employer { businessName } } } }",
            {"id": to_global_id("JobPosting", posting.pk)},
            bearer=raw,
        ).json()
        assert node["data"]["node"]["title"] == "카페 알바"

    def test_staff_scopes_follow_their_role(self) -> None:
        client = Client()
        client.force_login(make_user(MODERATOR, "gql-mod3"))
        JobPostingFactory()
        assert "errors" not in post(POSTINGS, {"first": 5}, client=client).json()
        nobody = UserFactory(is_staff=True)  # staff without any role: no scopes
        client.force_login(nobody)
        assert codes(post(POSTINGS, {"first": 5}, client=client).json()) == ["FORBIDDEN"]


class TestLimits:
    def refused(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        raw = token("jobs:read")
        with CaptureQueriesContext(connection) as ctx:
            body = post(query, variables, bearer=raw).json()
        assert not any("jobs_jobposting" in q["sql"] for q in ctx.captured_queries), "no resolver ran"
        return codes(body)

    def test_connections_need_first_or_last_of_at_most_100(self) -> None:
        assert self.refused("{ jobPostings { edges { node { title } } } }") == ["PAGINATION_REQUIRED"]
        assert self.refused("{ jobPostings(first: 101) { edges { node { title } } } }") == ["PAGE_TOO_LARGE"]
        assert self.refused(POSTINGS, {"first": 500}) == ["PAGE_TOO_LARGE"]

    def test_depth_aliases_and_cost_have_limits(self, settings: Any) -> None:
        settings.GRAPHQL_MAX_DEPTH = 4
        assert self.refused(POSTINGS, {"first": 5}) == ["QUERY_TOO_COMPLEX"]
        settings.GRAPHQL_MAX_DEPTH = 10
        aliases = " ".join(f"a{i}: jobPostings(first: 1) {{ edges {{ node {{ title }} }} }}" for i in range(16))
        assert self.refused("{ " + aliases + " }") == ["QUERY_TOO_COMPLEX"]
        settings.GRAPHQL_MAX_COST = 50
        assert self.refused(POSTINGS, {"first": 100}) == ["QUERY_TOO_COMPLEX"]

    def test_introspection_only_for_staff(self) -> None:
        assert self.refused("{ __schema { types { name } } }") == ["INTROSPECTION_DISABLED"]
        client = Client()
        client.force_login(make_user(MODERATOR, "gql-mod4"))
        assert "errors" not in post("{ __schema { queryType { name } } }", client=client).json()

    def test_the_parser_stops_at_the_token_limit(self, settings: Any) -> None:
        settings.GRAPHQL_MAX_TOKENS = 50
        huge = "{ " + " ".join(f"a{i}: __typename" for i in range(100)) + " }"
        body = post(huge, bearer=token("jobs:read")).json()
        assert body["errors"] and "token" in body["errors"][0]["message"].lower()


class TestCostPerRequest:
    def test_postings_with_employers_and_counts_cost_the_same_sql_for_3_or_50(self) -> None:
        raw = token("jobs:read")
        post(POSTINGS, {"first": 1}, bearer=raw)  # the token's first use records it (once a minute at most)

        def measure(n: int) -> int:
            for _ in range(n):
                posting = JobPostingFactory()
                ApplicationFactory(posting=posting)
            with CaptureQueriesContext(connection) as ctx:
                body = post(POSTINGS, {"first": 50}, bearer=raw).json()
            assert "errors" not in body
            return len(ctx.captured_queries)

        small = measure(3)
        large = measure(47)
        assert small == large and large <= 5, large

    def test_total_count_is_opt_in(self) -> None:
        raw = token("jobs:read")
        JobPostingFactory.create_batch(3)
        with CaptureQueriesContext(connection) as ctx:
            post(POSTINGS, {"first": 2}, bearer=raw)
        assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
        body = post("{ jobPostings(first: 2) { totalCount edges { node { title } } } }", bearer=raw).json()
        assert body["data"]["jobPostings"]["totalCount"] == 3

    def test_pages_follow_cursors(self) -> None:
        raw = token("jobs:read")
        JobPostingFactory.create_batch(5)
        first = post(POSTINGS, {"first": 2}, bearer=raw).json()["data"]["jobPostings"]
        assert first["pageInfo"]["hasNextPage"] is True
        query = (
            "query($after: String) { jobPostings(first: 10, after: $after) "
            "{ edges { node { id } } pageInfo { hasNextPage } } }"
        )
        rest = post(query, {"after": first["pageInfo"]["endCursor"]}, bearer=raw).json()["data"]["jobPostings"]
        assert len(rest["edges"]) == 3 and rest["pageInfo"]["hasNextPage"] is False
        ids = {e["node"]["id"] for e in first["edges"]} | {e["node"]["id"] for e in rest["edges"]}
        assert len(ids) == 5


class TestDocumentsAndErrors:
    def test_a_repeated_query_is_parsed_and_validated_once(self) -> None:
        raw = token("jobs:read")
        post(POSTINGS, {"first": 1}, bearer=raw)
        hits = graphql_view.DOCUMENTS.hits
        post(POSTINGS, {"first": 2}, bearer=raw)
        assert graphql_view.DOCUMENTS.hits == hits + 1

    def test_unexpected_errors_reach_clients_without_details(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from jobs import schema as jobs_schema

        def broken(cls: Any, queryset: Any, info: Any) -> Any:
            raise RuntimeError("secret detail: password=hunter2")

        monkeypatch.setattr(jobs_schema.EmployerNode, "get_queryset", classmethod(broken))
        body = post("{ employers(first: 1) { edges { node { businessName } } } }", bearer=token("jobs:read")).json()
        assert body["errors"][0]["message"] == "Internal error." and "hunter2" not in json.dumps(body)


def test_the_committed_schema_matches_the_code() -> None:
    """`backoffice/graphql/schema.graphql` is what consumers read; regenerate it with
    `manage.py graphql_schema --out backoffice/graphql/schema.graphql` when the schema changes."""
    from pathlib import Path

    from django.utils import translation
    from graphql import print_schema

    from backoffice.graphql.schema import schema

    committed = (Path(__file__).resolve().parents[2] / "backoffice" / "graphql" / "schema.graphql").read_text()
    with translation.override("en"):  # as manage.py commands print it
        assert committed.strip() == print_schema(schema.graphql_schema).strip()


def test_every_type_and_field_has_a_description() -> None:
    from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    from backoffice.graphql.schema import schema

    missing = []
    for name, type_ in schema.graphql_schema.type_map.items():
        if name.startswith("__"):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            missing += [f"{name}.{field}" for field, value in type_.fields.items() if not value.description]
    assert missing == []


def test_last_use_is_written_at_most_once_a_minute() -> None:
    from backoffice.models import ApiToken

    raw = token("jobs:read")
    post(POSTINGS, {"first": 1}, bearer=raw)
    with CaptureQueriesContext(connection) as ctx:
        post(POSTINGS, {"first": 1}, bearer=raw)
    assert not any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
    ApiToken.objects.filter(prefix=raw[:10]).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    with CaptureQueriesContext(connection) as ctx:
        post(POSTINGS, {"first": 1}, bearer=raw)
    assert any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
