"""Reports through GraphQL: ``metrics`` reads the daily rollups (checked against hand numbers and the selector),
breaks down by a dimension, filters, refuses bad arguments with an error naming the argument, and needs
``reports:read`` before anything is read; ``metricDefinitions`` lists the registry."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backoffice.audit import Actor
from backoffice.events.tokens import api_token_create
from backoffice.graphql.limits import check_limits
from backoffice.graphql.schema import schema
from backoffice.roles import ANALYST, MODERATOR
from jobs.models import Category, EmploymentType
from moderation.models import Case
from reports.forms import MAX_RANGE_DAYS
from reports.metrics import METRICS, SEOUL
from reports.schema import queries as report_queries
from reports.selectors import Filters, from_rollups
from reports.services import rollup_range
from tests.factories import JobPostingFactory
from tests.moderation.conftest import file_report, make_user

pytestmark = pytest.mark.django_db

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
SEOUL_RG, BUSAN_RG, GYEONGGI_RG = "1168010100", "2644010100", "4111010100"

SERIES = """query Series($name: String!, $from: Date!, $to: Date!, $dimension: MetricDimension, $region: String,
  $category: String, $employmentType: String) {
  metrics(name: $name, from: $from, to: $to, dimension: $dimension, region: $region, category: $category,
          employmentType: $employmentType) {
    name label description unit kind keyLabel from to
    points { day key dimensionValue value count mean p50 p90 } } }"""

DEFINITIONS = "{ metricDefinitions { name label description unit kind keyLabel reachDays } }"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SEOUL)


def token(*scopes: str) -> str:
    _token, raw = api_token_create(actor=Actor.system("test"), name=f"reports-{secrets.token_hex(4)}", scopes=scopes)
    return raw


def post(query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None,
         client: Client | None = None) -> tuple[int, dict[str, Any]]:  # fmt: skip
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    response = (client or Client()).post(
        "/graphql/", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json",
        **headers,
    )  # fmt: skip
    return response.status_code, response.json()


def series(variables: dict[str, Any], **credentials: Any) -> dict[str, Any]:
    status, body = post(SERIES, {"from": str(D1), "to": str(D2), **variables}, **credentials)
    assert status == 200 and "errors" not in body, body
    return body["data"]["metrics"]


def codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code", "") for error in body.get("errors", [])]


def rollup_reads(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "reports_dailyrollup" in q["sql"]]


@pytest.fixture
def marketplace(db: None) -> dict[str, Any]:
    """Four postings published over two days in three provinces (one at 00:30 Seoul time: the previous day in
    UTC), two first applications 2 h and 24 h after publication, and two cases opened on the first day; then
    the rollups of both days."""
    a = JobPostingFactory(
        published_at=at(D1, 10),
        first_application_at=at(D1, 12),
        region_code=SEOUL_RG,
        category=Category.FOOD_SERVICE,
        employment_type=EmploymentType.PART_TIME,
    )
    b = JobPostingFactory(
        published_at=at(D1, 11),
        first_application_at=at(D2, 11),
        region_code=BUSAN_RG,
        category=Category.RETAIL,
        employment_type=EmploymentType.FULL_TIME,
    )
    JobPostingFactory(
        published_at=at(D2, 9),
        region_code=SEOUL_RG,
        category=Category.FOOD_SERVICE,
        employment_type=EmploymentType.PART_TIME,
    )
    JobPostingFactory(published_at=at(D2, 0, 30), region_code=GYEONGGI_RG, category=Category.DELIVERY,
                      employment_type=EmploymentType.PART_TIME)  # fmt: skip
    cases = [file_report(posting, "scam").case for posting in (a, b)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(opened_at=at(D1, 15))
    rollup_range(first=D1, last=D2, actor=Actor.system("test"))
    return {"bands": sorted(str(Case.objects.get(pk=c.pk).band) for c in cases)}


class TestMetrics:
    def test_a_count_metric_matches_the_hand_numbers_and_the_rollups(self, marketplace: dict[str, Any]) -> None:
        data = series({"name": "postings_published"}, bearer=token("reports:read"))
        assert {k: data[k] for k in ("name", "label", "unit", "kind", "keyLabel", "from", "to")} == {
            "name": "postings_published", "label": "Postings published", "unit": "count", "kind": "count",
            "keyLabel": "", "from": str(D1), "to": str(D2),
        }  # fmt: skip
        assert data["description"] == str(METRICS["postings_published"].description)
        assert data["points"] == [
            {"day": str(D1), "key": "", "dimensionValue": "", "value": 2.0, "count": 2, "mean": None, "p50": None,
             "p90": None},
            {"day": str(D2), "key": "", "dimensionValue": "", "value": 2.0, "count": 2, "mean": None, "p50": None,
             "p90": None},
        ]  # fmt: skip
        rollups = from_rollups(["postings_published"], D1, D2).daily("postings_published")
        assert {p["day"]: p["value"] for p in data["points"]} == {str(d): a.value for d, a in rollups.items()}

    def test_durations_have_a_mean_and_percentiles_from_the_histogram(self, marketplace: dict[str, Any]) -> None:
        points = series({"name": "time_to_first_application"}, bearer=token("reports:read"))["points"]
        # One observation a day: 2 h falls in the (5400, 7200] s bucket and 24 h in (57600, 86400].
        assert [(p["day"], p["value"], p["count"], p["mean"], p["p50"], p["p90"]) for p in points] == [
            (str(D1), 7200.0, 1, 7200.0, 5400 + 1800 * 0.5, 5400 + 1800 * 0.9),
            (str(D2), 86400.0, 1, 86400.0, 57600 + 28800 * 0.5, 57600 + 28800 * 0.9),
        ]
        rollups = from_rollups(["time_to_first_application"], D1, D2).daily("time_to_first_application")
        assert [p["p90"] for p in points] == [rollups[D1].percentile(0.9), rollups[D2].percentile(0.9)]

    def test_keys_are_the_breakdown_and_points_are_sorted(self, marketplace: dict[str, Any]) -> None:
        data = series({"name": "cases_opened"}, bearer=token("reports:read"))
        assert data["keyLabel"] == "band"
        keys = [(p["day"], p["key"]) for p in data["points"]]
        assert keys == sorted(keys) and {day for day, _ in keys} == {str(D1)}
        assert {p["key"]: p["count"] for p in data["points"]} == Counter(marketplace["bands"])

    def test_a_region_breakdown_sums_to_the_total(self, marketplace: dict[str, Any]) -> None:
        raw = token("reports:read")
        by_region = series({"name": "postings_published", "dimension": "REGION"}, bearer=raw)["points"]
        assert [(p["day"], p["dimensionValue"], p["value"]) for p in by_region] == [
            (str(D1), "11", 1.0), (str(D1), "26", 1.0), (str(D2), "11", 1.0), (str(D2), "41", 1.0),
        ]  # fmt: skip
        total = series({"name": "postings_published"}, bearer=raw)["points"]
        for point in total:
            assert sum(p["value"] for p in by_region if p["day"] == point["day"]) == point["value"]

    def test_filters_alone_and_with_a_breakdown(self, marketplace: dict[str, Any]) -> None:
        raw = token("reports:read")

        def values(**variables: Any) -> list[tuple[str, str, float]]:
            points = series({"name": "postings_published", **variables}, bearer=raw)["points"]
            return [(p["day"], p["dimensionValue"], p["value"]) for p in points]

        assert values(region="11") == [(str(D1), "", 1.0), (str(D2), "", 1.0)]
        assert values(employmentType="part_time") == [(str(D1), "", 1.0), (str(D2), "", 2.0)]
        # Two dimensions at once: read from the category × type pair grain.
        assert values(employmentType="part_time", dimension="CATEGORY") == [
            (str(D1), "food_service", 1.0), (str(D2), "delivery", 1.0), (str(D2), "food_service", 1.0),
        ]  # fmt: skip
        assert values(region="11", category="retail") == []
        cube = from_rollups(["postings_published"], D1, D2, Filters(employment_type="part_time"), by="category")
        assert sum(a.value for a in cube.values.values()) == 3

    def test_an_analyst_session_reads_metrics(self, marketplace: dict[str, Any]) -> None:
        client = Client()
        client.force_login(make_user(ANALYST, "gql-analyst"))
        data = series({"name": "postings_published"}, client=client)
        assert [p["value"] for p in data["points"]] == [2.0, 2.0]
        status, body = post(DEFINITIONS, client=client)
        assert status == 200 and "errors" not in body


class TestScope:
    def test_a_token_without_reports_read_is_refused_before_anything_is_read(self) -> None:
        raw = token("jobs:read", "moderation:read")
        for query, variables in (
            (SERIES, {"name": "postings_published", "from": str(D1), "to": str(D2)}),
            (DEFINITIONS, {}),
        ):
            with CaptureQueriesContext(connection) as ctx:
                status, body = post(query, variables, bearer=raw)
            assert status == 400 and codes(body) == ["FORBIDDEN"] and body.get("data") is None, body
            assert "reports:read" in body["errors"][0]["message"]
            assert rollup_reads(ctx) == []

    def test_a_moderator_session_is_refused(self) -> None:
        client = Client()
        client.force_login(make_user(MODERATOR, "gql-reports-mod"))
        status, body = post(DEFINITIONS, client=client)
        assert status == 400 and codes(body) == ["FORBIDDEN"]


class TestArguments:
    def refused(self, variables: dict[str, Any]) -> dict[str, Any]:
        with CaptureQueriesContext(connection) as ctx:
            status, body = post(SERIES, {"from": str(D1), "to": str(D2), **variables}, bearer=token("reports:read"))
        assert status in (200, 400) and rollup_reads(ctx) == [], "nothing was read"
        assert body.get("data") in (None, {"metrics": None}), body
        assert len(body["errors"]) == 1 and "Traceback" not in json.dumps(body)
        return body["errors"][0]

    def test_an_unknown_metric_lists_the_valid_names(self) -> None:
        error = self.refused({"name": "nope"})
        assert error["extensions"] == {"code": "INVALID", "argument": "name"}
        assert "nope" in error["message"] and all(name in error["message"] for name in METRICS)

    def test_the_period_must_be_in_order_and_not_too_long(self) -> None:
        backwards = self.refused({"name": "applications", "from": str(D2), "to": str(D1)})
        assert backwards["extensions"]["argument"] == "to" and "before it starts" in backwards["message"]
        start = D2 - dt.timedelta(days=MAX_RANGE_DAYS)  # MAX_RANGE_DAYS + 1 days
        long = self.refused({"name": "applications", "from": str(start), "to": str(D2)})
        assert long["extensions"] == {"code": "INVALID", "argument": "to"} and str(MAX_RANGE_DAYS) in long["message"]

    def test_the_longest_period_is_accepted(self, marketplace: dict[str, Any]) -> None:
        start = D2 - dt.timedelta(days=MAX_RANGE_DAYS - 1)
        data = series({"name": "postings_published", "from": str(start), "dimension": "EMPLOYMENT_TYPE"},
                      bearer=token("reports:read"))  # fmt: skip
        assert data["from"] == str(start) and sum(p["value"] for p in data["points"]) == 4

    @pytest.mark.parametrize(
        ("argument", "value", "valid"),
        [("region", "99", "11"), ("category", "mining", "food_service"), ("employmentType", "intern", "part_time")],
    )
    def test_unknown_dimension_values_name_the_valid_ones(self, argument: str, value: str, valid: str) -> None:
        error = self.refused({"name": "applications", argument: value})
        assert error["extensions"] == {"code": "INVALID", "argument": argument}
        assert value in error["message"] and valid in error["message"]

    def test_an_unknown_dimension_is_a_validation_error(self) -> None:
        error = self.refused({"name": "applications", "dimension": "COUNTRY"})
        assert "MetricDimension" in error["message"] and "COUNTRY" in error["message"]

    def test_a_breakdown_and_a_filter_on_the_same_dimension_are_refused(self) -> None:
        error = self.refused({"name": "applications", "dimension": "REGION", "region": "11"})
        assert error["extensions"] == {"code": "INVALID", "argument": "region"}

    def test_a_series_over_the_point_cap_is_refused(
        self, marketplace: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(report_queries, "MAX_POINTS", 3)
        status, body = post(SERIES, {"name": "postings_published", "from": str(D1), "to": str(D2),
                                     "dimension": "REGION"}, bearer=token("reports:read"))  # fmt: skip
        assert status == 200 and codes(body) == ["TOO_MANY_POINTS"] and body["data"] == {"metrics": None}
        assert "narrow the period" in body["errors"][0]["message"]


class TestDefinitions:
    def test_every_metric_is_listed_with_its_definition(self) -> None:
        status, body = post(DEFINITIONS, bearer=token("reports:read"))
        assert status == 200 and "errors" not in body
        listed = body["data"]["metricDefinitions"]
        assert [d["name"] for d in listed] == list(METRICS)
        for definition in listed:
            metric = METRICS[definition["name"]]
            assert definition == {
                "name": metric.name, "label": str(metric.label), "description": str(metric.description),
                "unit": metric.unit, "kind": metric.kind, "keyLabel": metric.key_label, "reachDays": metric.reach_days,
            }  # fmt: skip


class TestLimits:
    def test_lists_cost_one_per_field_and_stay_under_the_limits(self) -> None:
        from graphql import OperationDefinitionNode, parse

        document = parse(SERIES + "\n" + DEFINITIONS.replace("{ metricDefinitions", "query Defs { metricDefinitions"))
        for operation in document.definitions:
            assert isinstance(operation, OperationDefinitionNode)
            errors, scopes = check_limits(schema.graphql_schema, operation, {}, {}, allow_introspection=False)
            assert errors == [] and scopes == {"reports:read"}
        # Aliases bound how many series one request reads: the 16th is refused before anything runs.
        many = " ".join(
            f'a{i}: metrics(name: "applications", from: "{D1}", to: "{D2}") {{ points {{ value }} }}' for i in range(16)
        )
        with CaptureQueriesContext(connection) as ctx:
            _status, body = post("{ " + many + " }", bearer=token("reports:read"))
        assert codes(body) == ["QUERY_TOO_COMPLEX"] and rollup_reads(ctx) == []
