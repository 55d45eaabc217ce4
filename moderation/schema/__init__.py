"""The moderation app's part of the GraphQL API: cases, reports, decisions, sanctions, rules (scope
``moderation:read``), the "why was this hidden" read model, and mutations (``moderation:write``) that call the
same services as the admin. Domain refusals come back as typed payload errors (``field``, ``code``,
``message``), not as GraphQL errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
import graphene
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from graphene import relay
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType
from graphql_relay import from_global_id

from backoffice.actions import one
from backoffice.audit import Actor
from backoffice.graphql.connections import CountableConnection, PagedConnectionField
from backoffice.graphql.docs import describe_model_fields
from backoffice.graphql.scopes import ScopedType, requires
from backoffice.models import ApiScope
from jobs.models import Employer, JobPosting, Seeker
from moderation import selectors
from moderation.actions import appeals, claims, decisions, intake
from moderation.models import (
    Appeal,
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    ReasonTemplate,
    Report,
    Rule,
    RuleHit,
    Sanction,
)

READ, WRITE = ApiScope.MODERATION_READ, ApiScope.MODERATION_WRITE


# --- filters ---------------------------------------------------------------------------------------------
class CaseFilter(django_filters.FilterSet):
    assignee = django_filters.CharFilter(field_name="claimed_by__username", label="Username of the claimant")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Past its SLA (unresolved)")
    region = django_filters.CharFilter(field_name="region_code", lookup_expr="startswith")

    class Meta:
        model = Case
        fields = {"status": ["exact"], "band": ["exact"], "target_kind": ["exact"], "category": ["exact"]}

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool | None) -> QuerySet[Case]:
        if value is None:
            return queryset
        unresolved = queryset.exclude(status=CaseStatus.RESOLVED)
        now = timezone.now()
        return unresolved.filter(due_at__lt=now) if value else unresolved.filter(due_at__gte=now)


# --- types -----------------------------------------------------------------------------------------------
class RuleNode(ScopedType, DjangoObjectType):
    """A screening rule (its configuration is staff-only and not exposed)."""

    required_scope = READ

    class Meta:
        model = Rule
        name = "Rule"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("name", "kind", "clause", "weight", "mode", "enabled", "created_at")
        filter_fields = {"kind": ["exact"], "mode": ["exact"], "enabled": ["exact"]}


class RuleHitType(graphene.ObjectType):
    """A rule that fired on the posting, with its evidence (matched spans and numbers)."""

    rule = graphene.Field(RuleNode, description="The rule that fired.")
    weight = graphene.Int(description="The rule's weight when it fired.")
    mode = graphene.String(description="dry_run, flag or auto_hide.")
    evidence = GenericScalar(description="What matched: spans of text and the numbers compared.")
    created_at = graphene.DateTime(description="When it fired.")


class ReportNode(ScopedType, DjangoObjectType):
    """A user's report. The reporter's free text is not exposed."""

    required_scope = READ

    class Meta:
        model = Report
        name = "Report"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("external_id", "reporter_kind", "reason", "status", "filed_at", "resolved_at", "target_kind")


class DecisionNode(ScopedType, DjangoObjectType):
    """A moderator's (or the system's) decision on a case. The private note is not exposed."""

    required_scope = READ
    reason_code = graphene.String(description="The reason template's code.")
    decided_by = graphene.String(description="`system` or `staff`.")

    class Meta:
        model = Decision
        name = "Decision"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = (
            "action", "clause", "remove_mode", "posting_status_before", "posting_status_after", "case_version",
            "created_at", "undone_at",
        )  # fmt: skip

    def resolve_reason_code(self, info: Any) -> str:
        return self.reason_template.code if self.reason_template_id else ""

    def resolve_decided_by(self, info: Any) -> str:
        return "staff" if self.moderator_id else "system"


class SanctionNode(ScopedType, DjangoObjectType):
    """A warning, suspension or ban of an employer or a seeker."""

    required_scope = READ

    class Meta:
        model = Sanction
        name = "Sanction"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("subject_kind", "employer", "seeker", "kind", "strike", "until", "clause", "created_at", "revoked_at")


class CaseEventType(graphene.ObjectType):
    """One line of the case's timeline."""

    kind = graphene.String(description="opened, report_added, hits_added, claimed, decided, …")
    actor = graphene.String(description="Who: a username, or the automated job.")
    message = graphene.String(description="What happened.")
    created_at = graphene.DateTime(description="When.")


class CaseNode(ScopedType, DjangoObjectType):
    """A moderation case: one target (posting, employer or seeker) under review, with its evidence."""

    required_scope = READ
    hits = graphene.List(graphene.NonNull(RuleHitType), required=True, description="Rule hits, oldest first.")
    reports = graphene.List(graphene.NonNull(ReportNode), required=True, description="Reports, oldest first.")
    decisions = graphene.List(graphene.NonNull(DecisionNode), required=True, description="Decisions, oldest first.")
    timeline = graphene.List(graphene.NonNull(CaseEventType), required=True, description="What happened, in order.")
    assignee = graphene.String(description="Username of the moderator holding a live claim, if any.")

    class Meta:
        model = Case
        name = "ModerationCase"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        filterset_class = CaseFilter
        fields = (
            "status", "band", "score", "due_at", "opened_at", "resolved_at", "escalated_at", "version", "target_kind",
            "posting", "employer", "seeker", "primary_reason", "region_code", "category", "report_count",
            "reporter_count", "hit_count", "auto_hidden", "is_appeal",
        )  # fmt: skip

    def resolve_hits(self, info: Any) -> list[RuleHitType]:
        return [
            RuleHitType(rule=h.rule, weight=h.weight, mode=h.mode, evidence=h.evidence, created_at=h.created_at)
            for h in self.hits.all()
        ]

    def resolve_reports(self, info: Any) -> Any:
        return self.reports.all()

    def resolve_decisions(self, info: Any) -> Any:
        return self.decisions.all()

    def resolve_timeline(self, info: Any) -> list[CaseEventType]:
        return [
            CaseEventType(kind=e.kind, actor=e.actor_label, message=e.message, created_at=e.created_at)
            for e in self.events.all()
        ]

    def resolve_assignee(self, info: Any) -> str | None:
        live = self.claimed_by_id and self.claim_expires_at and self.claim_expires_at > timezone.now()
        return self.claimed_by.get_username() if live else None


def cases_queryset() -> QuerySet[Case]:
    """Cases with everything their fields read, in a fixed number of queries per page."""
    return Case.objects.select_related("posting__employer", "employer", "seeker", "claimed_by").prefetch_related(
        Prefetch("hits", queryset=RuleHit.objects.select_related("rule").order_by("created_at", "id")),
        Prefetch("reports", queryset=Report.objects.order_by("filed_at", "id")),
        Prefetch("decisions", queryset=Decision.objects.select_related("reason_template").order_by("created_at", "id")),
        Prefetch("events", queryset=CaseEvent.objects.order_by("created_at", "id")),
    )


class ModerationStatus(graphene.ObjectType):
    """Whether a posting is live and, if not, why — the text its employer is shown."""

    posting_id = graphene.String(required=True, description="The marketplace's posting id.")
    live = graphene.Boolean(required=True, description="Shown to job seekers now.")
    status = graphene.String(required=True, description="The posting's status.")
    reason_code = graphene.String(description="The reason template's code of the decision that hid or rejected it.")
    public_reason = graphene.String(description="The reason as shown to the employer (Korean).")
    public_reason_en = graphene.String(description="The same reason in English.")
    decided_at = graphene.DateTime(description="When that decision was taken.")
    decided_by = graphene.String(description="`system` or `staff`.")


# --- root fields -----------------------------------------------------------------------------------------
class Query(graphene.ObjectType):
    moderation_cases = PagedConnectionField(CaseNode, description="Cases, most urgent first (band, then age).")
    moderation_case = relay.Node.Field(CaseNode, description="One case with its hits, reports, decisions, timeline.")
    moderation_rules = PagedConnectionField(RuleNode, description="Screening rules by name.")
    moderation_status = graphene.Field(
        ModerationStatus,
        posting_external_id=graphene.String(required=True),
        description="Is this posting live, and if not, the public reason (the “why was this hidden” read model).",
    )

    def resolve_moderation_cases(self, info: Any, **kwargs: Any) -> QuerySet[Case]:
        return cases_queryset().order_by("band", "opened_at", "id")

    def resolve_moderation_rules(self, info: Any, **kwargs: Any) -> QuerySet[Rule]:
        return Rule.objects.order_by("name")

    @requires(READ)
    def resolve_moderation_status(self, info: Any, posting_external_id: str) -> ModerationStatus | None:
        status = selectors.posting_moderation_status(posting_external_id)
        return ModerationStatus(**vars(status)) if status is not None else None


# --- mutations -------------------------------------------------------------------------------------------
class MutationError(graphene.ObjectType):
    """Why a mutation changed nothing."""

    field = graphene.String(description="The argument at fault, if one is.")
    code = graphene.String(required=True, description="FORBIDDEN, NOT_FOUND, STALE, CLAIMED, INVALID.")
    message = graphene.String(required=True, description="For a person to read.")


def _errors(exc: Exception) -> list[MutationError]:
    if isinstance(exc, PermissionDenied):
        return [MutationError(code="FORBIDDEN", message=str(exc) or "Permission denied.")]
    code = {"StaleCaseError": "STALE", "ClaimConflictError": "CLAIMED"}.get(type(exc).__name__, "INVALID")
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [
            MutationError(field=name, code=code, message=" ".join(str(m) for m in messages))
            for name, messages in exc.message_dict.items()
        ]
    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return [MutationError(code=code, message=" ".join(str(m) for m in messages))]


def _acting_user(info: Any) -> AbstractBaseUser:
    """A staff session acts as itself; a token as the staff member who created it, never beyond their role."""
    token = getattr(info.context, "api_token", None)
    user = token.created_by if token is not None else info.context.user
    if user is None or not user.is_active:
        raise PermissionDenied("This token has no active staff member behind it to act as.")
    return user


def _actor(info: Any) -> Actor:
    token = getattr(info.context, "api_token", None)
    return Actor.api(token.name, user=token.created_by) if token is not None else Actor.staff(info.context.user)


def _case(global_id: str) -> Case:
    kind, pk = from_global_id(global_id)
    case = cases_queryset().filter(pk=pk).first() if kind == "ModerationCase" and pk.isdigit() else None
    if case is None:
        raise LookupError("No such case.")
    return case


def _run(payload: type[graphene.Mutation], change: Callable[[], dict[str, Any]]) -> Any:
    try:
        return payload(errors=[], **change())
    except LookupError as exc:
        return payload(errors=[MutationError(field="id", code="NOT_FOUND", message=str(exc.args[0]))])
    except (ValidationError, PermissionDenied) as exc:
        return payload(errors=_errors(exc))


class CasePayload:
    case = graphene.Field(CaseNode, description="The case as it is now (null when nothing changed).")
    errors = graphene.List(graphene.NonNull(MutationError), required=True, description="Empty on success.")


class ClaimCase(CasePayload, graphene.Mutation):
    """Claim a case for a while (senior moderators take over a live claim, audited)."""

    class Arguments:
        id = graphene.ID(required=True)

    @requires(WRITE)
    def mutate(self, info: Any, id: str) -> ClaimCase:
        return _run(ClaimCase, lambda: {"case": claims.case_claim(user=_acting_user(info), case=_case(id))})


class ReleaseCase(CasePayload, graphene.Mutation):
    """Give a claimed case back to the queue."""

    class Arguments:
        id = graphene.ID(required=True)

    @requires(WRITE)
    def mutate(self, info: Any, id: str) -> ReleaseCase:
        return _run(ReleaseCase, lambda: {"case": claims.case_release(user=_acting_user(info), case=_case(id))})


def _decide(info: Any, id: str, **request: Any) -> dict[str, Any]:
    code = request.pop("reason_template", None)
    template = None
    if code:
        template = ReasonTemplate.objects.filter(code=code, active=True).first()
        if template is None:
            raise ValidationError({"reasonTemplate": "No active reason template with this code."})
    case = _case(id)
    decisions.case_decide(
        user=_acting_user(info),
        case=case,
        request=decisions.DecisionRequest(reason_template=template, **request),
    )
    return {"case": cases_queryset().get(pk=case.pk)}


class DecideCase(CasePayload, graphene.Mutation):
    """Decide a case exactly as from the case page: approve, remove, escalate, dismiss (or sanction)."""

    class Arguments:
        id = graphene.ID(required=True)
        action = graphene.String(required=True, description="approve, remove, escalate, dismiss, sanction.")
        expected_version = graphene.Int(required=True, description="The case version you decided on.")
        reason_template = graphene.String(description="Reason template code (the text the user is shown).")
        note = graphene.String(description="Private note (required to escalate).")
        remove_mode = graphene.String(description="hide or reject, for remove.")

    @requires(WRITE)
    def mutate(self, info: Any, id: str, action: str, expected_version: int, **kwargs: Any) -> DecideCase:
        options = {k: v for k, v in kwargs.items() if v is not None}
        return _run(DecideCase, lambda: _decide(info, id, action=action, expected_version=expected_version, **options))


class ApplySanction(CasePayload, graphene.Mutation):
    """Sanction the author of a case's target (warning, suspension, ban) through the decision service."""

    class Arguments:
        id = graphene.ID(required=True)
        expected_version = graphene.Int(required=True)
        reason_template = graphene.String(required=True)
        sanction_kind = graphene.String(description="warning, suspension or ban (default: the next strike).")
        sanction_days = graphene.Int(description="Length of a suspension.")
        note = graphene.String()

    @requires(WRITE)
    def mutate(self, info: Any, id: str, expected_version: int, reason_template: str, **kwargs: Any) -> ApplySanction:
        options = {k: v for k, v in kwargs.items() if v is not None}
        return _run(
            ApplySanction,
            lambda: _decide(
                info, id, action="sanction", expected_version=expected_version, reason_template=reason_template,
                **options,
            ),
        )  # fmt: skip


class FileReport(graphene.Mutation):
    """Record a user's report (as the marketplace's `report.filed` event does)."""

    class Arguments:
        report_id = graphene.String(required=True)
        reporter_kind = graphene.String(required=True, description="seeker or employer")
        reporter_id = graphene.String(required=True)
        target_kind = graphene.String(required=True, description="posting, employer or seeker")
        target_id = graphene.String(required=True, description="The target's marketplace id.")
        reason = graphene.String(required=True)
        text = graphene.String()

    report = graphene.Field(ReportNode, description="The report (the existing one when it was filed before).")
    errors = graphene.List(graphene.NonNull(MutationError), required=True, description="Empty on success.")

    @requires(WRITE)
    def mutate(self, info: Any, target_kind: str, target_id: str, **kwargs: Any) -> FileReport:
        def change() -> dict[str, Any]:
            model = {"posting": JobPosting, "employer": Employer, "seeker": Seeker}.get(target_kind)
            if model is None:
                raise ValidationError({"targetKind": "posting, employer or seeker."})
            target = model.objects.filter(external_id=target_id).first()
            if target is None:
                raise LookupError("No such target.")
            report = one(
                intake.reports_file(
                    [
                        intake.ReportFiling(
                            actor=_actor(info),
                            external_id=kwargs["report_id"],
                            reporter_kind=kwargs["reporter_kind"],
                            reporter_external_id=kwargs["reporter_id"],
                            target=target,
                            reason=kwargs["reason"],
                            text=kwargs.get("text") or "",
                        )
                    ]
                )
            )
            return {"report": report}

        return _run(FileReport, change)


class FileAppeal(graphene.Mutation):
    """Appeal a decision: the case reopens for a moderator other than the one who decided."""

    class Arguments:
        decision_id = graphene.ID(required=True)
        text = graphene.String()

    appeal_status = graphene.String(description="pending")
    case = graphene.Field(CaseNode, description="The reopened appeal case.")
    errors = graphene.List(graphene.NonNull(MutationError), required=True, description="Empty on success.")

    @requires(WRITE)
    def mutate(self, info: Any, decision_id: str, text: str | None = None) -> FileAppeal:
        def change() -> dict[str, Any]:
            kind, pk = from_global_id(decision_id)
            decision = Decision.objects.filter(pk=pk).first() if kind == "Decision" and pk.isdigit() else None
            if decision is None:
                raise LookupError("No such decision.")
            appeal: Appeal = appeals.appeal_file(actor=_actor(info), decision=decision, text=text or "")
            return {"appeal_status": appeal.status, "case": cases_queryset().get(pk=appeal.case_id)}

        return _run(FileAppeal, change)


class Mutation(graphene.ObjectType):
    file_report = FileReport.Field()
    claim_case = ClaimCase.Field()
    release_case = ReleaseCase.Field()
    decide_case = DecideCase.Field()
    apply_sanction = ApplySanction.Field()
    file_appeal = FileAppeal.Field()


describe_model_fields(RuleNode, ReportNode, DecisionNode, SanctionNode, CaseNode)
