"""The jobs app's part of the GraphQL API: employers, seekers, postings and applications (scope ``jobs:read``).

The root resolvers fetch what the types' fields need in the same query (``select_related``; no type overrides
``get_queryset``, which would make graphene-django re-query every foreign key); application counts are a
column (``application_count``), never a COUNT per posting.
"""

from __future__ import annotations

from typing import Any

import django_filters
import graphene
from django.db.models import QuerySet
from graphene import relay
from graphene_django import DjangoObjectType

from backoffice.graphql.connections import CountableConnection, PagedConnectionField
from backoffice.graphql.docs import describe_model_fields
from backoffice.graphql.scopes import ScopedType
from backoffice.graphql.selection import rows_selected
from backoffice.models import ApiScope
from jobs.models import Application, Employer, JobPosting, Seeker


# --- filters ---------------------------------------------------------------------------------------------
class EmployerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="business_name", lookup_expr="icontains")

    class Meta:
        model = Employer
        fields = {"account_status": ["exact"], "verification_status": ["exact"], "region_code": ["exact"]}


class JobPostingFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Words in the title")
    region = django_filters.CharFilter(field_name="region_code", lookup_expr="startswith", label="Region code prefix")
    wage_min = django_filters.NumberFilter(field_name="wage_amount", lookup_expr="gte")
    wage_max = django_filters.NumberFilter(field_name="wage_amount", lookup_expr="lte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    employer = django_filters.CharFilter(field_name="employer__external_id", label="The employer's marketplace id")

    class Meta:
        model = JobPosting
        fields = {"status": ["exact"], "employment_type": ["exact"], "category": ["exact"], "wage_type": ["exact"]}


class ApplicationFilter(django_filters.FilterSet):
    posting = django_filters.CharFilter(field_name="posting__external_id")
    seeker = django_filters.CharFilter(field_name="seeker__external_id")
    submitted_after = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")

    class Meta:
        model = Application
        fields = {"status": ["exact"]}


# --- types -----------------------------------------------------------------------------------------------
class EmployerNode(ScopedType, DjangoObjectType):
    """A business that posts jobs."""

    required_scope = ApiScope.JOBS_READ

    class Meta:
        model = Employer
        name = "Employer"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        filterset_class = EmployerFilter
        fields = (
            "external_id", "business_name", "region_code", "verification_status", "account_status",
            "suspended_until", "created_at",
        )  # fmt: skip


class SeekerNode(ScopedType, DjangoObjectType):
    """A job seeker. Personal data (name, phone, birth year) is not exposed."""

    required_scope = ApiScope.JOBS_READ

    class Meta:
        model = Seeker
        name = "Seeker"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("external_id", "region_code", "account_status", "created_at", "anonymized_at")


class JobPostingNode(ScopedType, DjangoObjectType):
    """A job posting, with its moderation status and its application count."""

    required_scope = ApiScope.JOBS_READ

    class Meta:
        model = JobPosting
        name = "JobPosting"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        filterset_class = JobPostingFilter
        fields = (
            "external_id", "employer", "title", "description", "employment_type", "wage_type", "wage_amount",
            "hours_per_week", "region_code", "category", "starts_on", "ends_on", "status", "published_at",
            "expires_at", "closed_at", "close_reason", "application_count", "first_application_at", "created_at",
        )  # fmt: skip


class ApplicationNode(ScopedType, DjangoObjectType):
    """An application to a posting (the applicant's message is personal data and not exposed)."""

    required_scope = ApiScope.JOBS_READ

    class Meta:
        model = Application
        name = "Application"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        filterset_class = ApplicationFilter
        fields = (
            "external_id", "posting", "seeker", "status", "submitted_at", "viewed_at", "shortlisted_at", "hired_at",
            "rejected_at", "withdrawn_at",
        )  # fmt: skip


# --- root fields -----------------------------------------------------------------------------------------
class Query(graphene.ObjectType):
    job_posting = relay.Node.Field(JobPostingNode, description="One posting by its global id.")
    job_postings = PagedConnectionField(JobPostingNode, description="Postings, newest first, filtered.")
    employer = relay.Node.Field(EmployerNode, description="One employer by its global id.")
    employers = PagedConnectionField(EmployerNode, description="Employers, newest first, filtered.")
    applications = PagedConnectionField(ApplicationNode, description="Applications, newest first, filtered.")

    def resolve_job_postings(self, info: Any, **kwargs: Any) -> QuerySet[JobPosting]:
        # The hottest list consumers read: rows as dicts (every JobPosting/Employer field is a plain column).
        return rows_selected(
            JobPosting.objects.order_by("-created_at", "-id"), info, {JobPosting: "JobPosting", Employer: "Employer"}
        )

    def resolve_employers(self, info: Any, **kwargs: Any) -> QuerySet[Employer]:
        return Employer.objects.order_by("-created_at", "-id")

    def resolve_applications(self, info: Any, **kwargs: Any) -> QuerySet[Application]:
        return Application.objects.select_related("posting__employer", "seeker").order_by("-submitted_at", "-id")


describe_model_fields(EmployerNode, SeekerNode, JobPostingNode, ApplicationNode)
