"""Moderation through GraphQL: reads with constant SQL, the "why was this hidden" read model, and mutations
that go through the same services as the admin, with typed payload errors and scopes on every path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from backoffice.audit import Actor
from backoffice.events.tokens import api_token_create
from backoffice.models import AuditLog
from backoffice.roles import MODERATOR
from jobs.models import PostingStatus
from moderation.actions import decisions
from moderation.models import Appeal, Case, CaseStatus, Report
from tests.factories import JobPostingFactory
from tests.moderation.conftest import file_report, make_user, template

pytestmark = pytest.mark.django_db

CASES = """query { moderationCases(first: 20) { edges { node {
  id status band score version assignee posting { title employer { businessName } }
  hits { rule { name } evidence } reports { reason } decisions { action reasonCode decidedBy }
  timeline { kind actor } } } } }"""


def token_for(user: Any, *scopes: str) -> str:
    _token, raw = api_token_create(actor=Actor.system("test"), name=f"svc-{user.pk}-{'-'.join(scopes)}", scopes=scopes)
    from backoffice.models import ApiToken

    ApiToken.objects.filter(pk=_token.pk).update(created_by=user)
    return raw


def gql(query: str, variables: dict[str, Any] | None = None, *, bearer: str) -> dict[str, Any]:
    response = Client().post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
    )
    # 400 when the whole request was refused (no data), as graphene-django answers.
    assert response.status_code in (200, 400), response.content
    return response.json()


def case_id(case: Case) -> str:
    return to_global_id("ModerationCase", case.pk)


@pytest.fixture
def moderator(db: None) -> Any:
    return make_user(MODERATOR, "gql-moderator")


class TestReads:
    def test_cases_with_their_evidence_cost_the_same_sql_for_2_or_15(self, moderator: Any) -> None:
        raw = token_for(moderator, "moderation:read", "jobs:read")
        gql("{ moderationRules(first: 1) { edges { node { name } } } }", bearer=raw)  # first use is recorded

        def measure() -> int:
            with CaptureQueriesContext(connection) as ctx:
                body = gql(CASES, bearer=raw)
            assert "errors" not in body, body
            return len(ctx.captured_queries)

        for _ in range(2):
            file_report(JobPostingFactory(), "scam")
        small = measure()
        for _ in range(13):
            file_report(JobPostingFactory(), "scam")
        assert measure() == small

    def test_the_posting_inside_a_case_needs_jobs_read_too(self, moderator: Any) -> None:
        file_report(JobPostingFactory(), "scam")
        body = gql(CASES, bearer=token_for(moderator, "moderation:read"))
        assert body.get("data") is None, "refused whole, before anything ran"
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scopes": ["jobs:read"]}

    def test_node_and_cases_refuse_without_moderation_read(self, moderator: Any) -> None:
        case = file_report(JobPostingFactory(), "scam").case
        raw = token_for(moderator, "jobs:read")
        body = gql(
            "query($id: ID!) { node(id: $id) { ... on ModerationCase { status } } }", {"id": case_id(case)}, bearer=raw
        )
        assert body["data"]["node"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert gql(CASES, bearer=raw)["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    def test_why_was_this_hidden(self, moderator: Any) -> None:
        JobPostingFactory(external_id="live-1")
        hidden = JobPostingFactory(external_id="hidden-1")
        case = file_report(hidden, "scam").case
        decisions.case_decide(
            user=moderator,
            case=case,
            request=decisions.DecisionRequest(
                action="remove", expected_version=case.version, reason_template=template("remove-false-ad")
            ),
        )
        raw = token_for(moderator, "moderation:read")
        query = """query($p: String!) { moderationStatus(postingExternalId: $p) {
          postingId live status reasonCode publicReason decidedBy } }"""
        assert gql(query, {"p": "live-1"}, bearer=raw)["data"]["moderationStatus"]["live"] is True
        status = gql(query, {"p": "hidden-1"}, bearer=raw)["data"]["moderationStatus"]
        assert status["live"] is False and status["status"] == PostingStatus.HIDDEN
        assert status["reasonCode"] == "remove-false-ad" and status["publicReason"] and status["decidedBy"] == "staff"
        refused = gql(query, {"p": "live-1"}, bearer=token_for(moderator, "jobs:read"))
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestMutations:
    def test_claim_decide_and_release_through_the_services(self, moderator: Any) -> None:
        case = file_report(JobPostingFactory(), "scam").case
        raw = token_for(moderator, "moderation:write", "moderation:read")
        claim = gql(
            "mutation($id: ID!) { claimCase(id: $id) { case { assignee version } errors { code message } } }",
            {"id": case_id(case)},
            bearer=raw,
        )["data"]["claimCase"]
        assert claim["errors"] == [] and claim["case"]["assignee"] == "gql-moderator"
        decide = """mutation($id: ID!, $v: Int!) { decideCase(id: $id, action: "approve", expectedVersion: $v,
          reasonTemplate: "approve-no-violation") { case { status } errors { field code message } } }"""
        stale = gql(decide, {"id": case_id(case), "v": case.version - 1}, bearer=raw)["data"]["decideCase"]
        assert stale["case"] is None and stale["errors"][0]["code"] in ("STALE", "INVALID")
        version = Case.objects.get(pk=case.pk).version
        done = gql(decide, {"id": case_id(case), "v": version}, bearer=raw)["data"]["decideCase"]
        assert done["errors"] == [] and done["case"]["status"] == "RESOLVED"
        # Audited as the API client, acting for the staff member behind the token.
        entry = AuditLog.objects.filter(action="case.decided").get()
        assert entry.actor == moderator

    def test_without_the_write_scope_nothing_runs(self, moderator: Any) -> None:
        case = file_report(JobPostingFactory(), "scam").case
        body = gql(
            "mutation($id: ID!) { claimCase(id: $id) { errors { code } } }",
            {"id": case_id(case)},
            bearer=token_for(moderator, "moderation:read"),
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert Case.objects.get(pk=case.pk).claimed_by_id is None

    def test_file_report_and_appeal(self, moderator: Any) -> None:
        JobPostingFactory(external_id="rep-target")
        raw = token_for(moderator, "moderation:write", "moderation:read")
        report = gql(
            """mutation { fileReport(reportId: "r-gql-1", reporterKind: "seeker", reporterId: "s-9",
               targetKind: "posting", targetId: "rep-target", reason: "scam") {
               report { reason } errors { code } } }""",
            bearer=raw,
        )["data"]["fileReport"]
        assert report["errors"] == [] and Report.objects.filter(external_id="r-gql-1").exists()
        missing = gql(
            """mutation { fileReport(reportId: "r-gql-2", reporterKind: "seeker", reporterId: "s-9",
               targetKind: "posting", targetId: "nope", reason: "scam") { errors { field code } } }""",
            bearer=raw,
        )["data"]["fileReport"]
        assert missing["errors"] == [{"field": "id", "code": "NOT_FOUND"}]

        case = Report.objects.get(external_id="r-gql-1").case
        decision = decisions.case_decide(
            user=moderator,
            case=case,
            request=decisions.DecisionRequest(
                action="remove", expected_version=case.version, reason_template=template("remove-false-ad")
            ),
        )
        appeal = gql(
            'mutation($d: ID!) { fileAppeal(decisionId: $d, text: "오해입니다") { appealStatus errors { code } } }',
            {"d": to_global_id("Decision", decision.pk)},
            bearer=raw,
        )["data"]["fileAppeal"]
        assert appeal == {"appealStatus": "pending", "errors": []} and Appeal.objects.count() == 1
        assert (
            Case.objects.get(pk=case.pk).status != CaseStatus.RESOLVED or Case.objects.filter(is_appeal=True).exists()
        )
