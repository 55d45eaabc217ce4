"""The moderation admin: the review queue and case page staff work in all day.

Presentation and wiring only: every state change calls ``moderation.actions`` (claims, decisions, undo,
second reviews), which checks permissions, versions and claims, writes the audit log and the outbox.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice.admin_tools import BackofficeModelAdmin, ReadOnlyAdminMixin
from backoffice.audit import Actor
from backoffice.background import background_start, job_url
from jobs import selectors as jobs_selectors
from jobs.admin import DistrictFilter
from jobs.models import Category
from jobs.regions import region_name
from moderation import background_jobs, selectors
from moderation.actions import appeals, claims, common, config, decisions
from moderation.models import (
    Appeal,
    Case,
    CaseStatus,
    Decision,
    DecisionAction,
    ReasonTemplate,
    RemoveMode,
    Report,
    ReporterStats,
    ReportReason,
    ReviewStatus,
    Rule,
    RuleHit,
    Sanction,
    SanctionKind,
    SecondReview,
    TargetKind,
)
from moderation.presenters import band_badge, highlight, sla_badge, spans_for
from moderation.screening import DRY_RUN_MAX_BACKGROUND

# A bulk decision over more cases than this runs as a background job with progress, not in the request.
BULK_IN_REQUEST_MAX = 50


def _errors(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do that.")


# --- queue filters --------------------------------------------------------------------------------------
class QueueStatusFilter(admin.SimpleListFilter):
    """Defaults to the unresolved backlog: the queue is what is left to do."""

    title = gettext_lazy("status")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("unresolved", _("Unresolved")),
            ("open", _("Open")),
            ("escalated", _("Escalated")),
            ("resolved", _("Resolved")),
            ("all", _("All")),
        ]

    def value(self) -> str:
        return super().value() or "unresolved"

    def choices(self, changelist: ChangeList) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        value = self.value()
        if value == "unresolved":
            return queryset.exclude(status=CaseStatus.RESOLVED)
        if value in CaseStatus.values:
            return queryset.filter(status=value)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = gettext_lazy("assignee")
    parameter_name = "assignee"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", _("Mine")), ("unclaimed", _("Unclaimed")), ("others", _("Claimed by others"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        now = timezone.now()
        live = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
        if self.value() == "mine":
            return queryset.filter(live, claimed_by=request.user)
        if self.value() == "unclaimed":
            return queryset.exclude(live)
        if self.value() == "others":
            return queryset.filter(live).exclude(claimed_by=request.user)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("SLA")
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", _("Overdue")), ("due_1h", _("Due within an hour"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(due_at__lt=now)
        if self.value() == "due_1h":
            return queryset.filter(due_at__gte=now, due_at__lt=now + timezone.timedelta(hours=1))
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = gettext_lazy("category")
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Category.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        return queryset.filter(category=self.value()) if self.value() else queryset


# --- forms ----------------------------------------------------------------------------------------------
class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=DecisionAction.choices)
    expected_version = forms.IntegerField(min_value=1)
    template_approve = forms.ModelChoiceField(queryset=ReasonTemplate.objects.none(), required=False)
    template_remove = forms.ModelChoiceField(queryset=ReasonTemplate.objects.none(), required=False)
    template_sanction = forms.ModelChoiceField(queryset=ReasonTemplate.objects.none(), required=False)
    template_dismiss = forms.ModelChoiceField(queryset=ReasonTemplate.objects.none(), required=False)
    remove_mode = forms.ChoiceField(choices=RemoveMode.choices, required=False, initial=RemoveMode.HIDE)
    sanction_kind = forms.ChoiceField(
        choices=[("", gettext_lazy("By strike count")), *SanctionKind.choices], required=False
    )
    sanction_days = forms.IntegerField(min_value=1, max_value=365, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = ReasonTemplate.objects.filter(active=True)
        for action in ("approve", "remove", "sanction", "dismiss"):
            self.fields[f"template_{action}"].queryset = active.filter(action=action)

    def to_request(self) -> decisions.DecisionRequest:
        data = self.cleaned_data
        action = data["action"]
        template = data.get(f"template_{action}") if action != DecisionAction.ESCALATE else None
        return decisions.DecisionRequest(
            action=action,
            expected_version=data["expected_version"],
            reason_template=template,
            note=data.get("note") or "",
            remove_mode=data.get("remove_mode") or RemoveMode.HIDE,
            sanction_kind=data.get("sanction_kind") or None,
            sanction_days=data.get("sanction_days"),
        )


class BulkDecisionForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=ReasonTemplate.objects.none(), required=False, label=gettext_lazy("reason")
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=gettext_lazy("note"))

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ReasonTemplate.objects.filter(active=True, action=action)
        self.fields["template"].required = action != DecisionAction.ESCALATE
        self.fields["note"].required = action == DecisionAction.ESCALATE


# Suggested template per report reason, so the common decision is one click.
SUGGESTED_REMOVE = {
    ReportReason.SCAM: "remove-false-ad",
    ReportReason.ILLEGAL_WAGE: "remove-min-wage",
    ReportReason.DISCRIMINATION: "remove-discrimination",
    ReportReason.SPAM: "remove-duplicate-spam",
    ReportReason.DUPLICATE: "remove-duplicate-spam",
    ReportReason.INAPPROPRIATE: "remove-harmful-business",
}
CLAUSE_TO_REMOVE = {
    "P1-false-ad": "remove-false-ad",
    "P2-min-wage": "remove-min-wage",
    "P3-discrimination": "remove-discrimination",
    "P4-off-platform": "remove-off-platform",
    "P5-crime-recruitment": "remove-crime-recruitment",
    "P6-fees": "remove-fees",
    "P7-duplicate-spam": "remove-duplicate-spam",
    "P8-harmful-business": "remove-harmful-business",
}


# --- the queue ------------------------------------------------------------------------------------------
@admin.register(Case)
class CaseAdmin(BackofficeModelAdmin):
    list_display = (
        "case_number",
        "priority",
        "target_link",
        "primary_reason",
        "district",
        "category",
        "signals",
        "score",
        "claim",
        "sla",
        "opened_at",
        "status",
    )
    list_display_links = None
    list_filter = (
        QueueStatusFilter,
        "band",
        "primary_reason",
        DistrictFilter,
        CategoryFilter,
        AssigneeFilter,
        OverdueFilter,
        "is_appeal",
        "auto_hidden",
    )
    list_select_related = ("posting__employer", "employer", "seeker", "claimed_by")
    search_fields = (
        "=id",
        "posting__title",
        "=posting__external_id",
        "employer__business_name",
        "=seeker__external_id",
    )
    ordering = ("-band", "opened_at", "id")
    list_per_page = 50
    actions = ["bulk_approve", "bulk_remove", "bulk_dismiss", "bulk_escalate"]
    change_list_template = "admin/moderation/case/change_list.html"

    class Media:
        css = {"all": ["moderation/moderation.css"]}
        js = ["moderation/shortcuts.js"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cases change only through the decision service (the case page), never through a model form.
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.decide_case")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return self.search_fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        if search_term and not search_term.isdigit():
            # "=id" would try to cast text to an integer.
            return super().get_search_results(request, queryset, search_term.strip())
        return super().get_search_results(request, queryset, search_term)

    # --- columns ---
    @admin.display(description=gettext_lazy("case"), ordering="id")
    def case_number(self, case: Case) -> str:
        return format_html(
            '<a class="case-link" href="{}">#{}</a>', reverse("admin:moderation_case_change", args=[case.pk]), case.pk
        )

    @admin.display(description=gettext_lazy("priority"), ordering="-band")
    def priority(self, case: Case) -> str:
        return band_badge(case.band, case.get_band_display())

    @admin.display(description=gettext_lazy("target"))
    def target_link(self, case: Case) -> str:
        target = case.target
        label = case.get_target_kind_display()
        url = reverse("admin:moderation_case_change", args=[case.pk])
        extra = ""
        if case.target_kind == TargetKind.POSTING and case.posting is not None:
            extra = f" · {case.posting.employer.business_name}"
        return format_html('<a href="{}">{}: {}</a><span class="muted">{}</span>', url, label, target, extra)

    @admin.display(description=gettext_lazy("district"))
    def district(self, case: Case) -> str:
        return region_name(case.region_code) if case.region_code else "—"

    @admin.display(description=gettext_lazy("signals"))
    def signals(self, case: Case) -> str:
        flags = []
        if case.is_appeal:
            flags.append(_("appeal"))
        if case.auto_hidden:
            flags.append(_("auto-hidden"))
        counts = _("%(reports)d rep. · %(reporters)d reporters · %(hits)d hits") % {
            "reports": case.report_count,
            "reporters": case.reporter_count,
            "hits": case.hit_count,
        }
        return format_html(
            '<span title="{}">{}</span>{}',
            _("user reports · distinct reporters · rule hits"),
            counts,
            format_html(" · <strong>{}</strong>", ", ".join(flags)) if flags else "",
        )

    @admin.display(description=gettext_lazy("claimed by"))
    def claim(self, case: Case) -> str:
        if not case.claim_is_live():
            return "—"
        return format_html("<strong>{}</strong>", case.claimed_by.get_username())

    @admin.display(description=gettext_lazy("SLA"), ordering="due_at")
    def sla(self, case: Case) -> str:
        return sla_badge(case.due_at, timezone.now(), case.status == CaseStatus.RESOLVED)

    # --- URLs and pages ---
    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("next/", wrap(self.next_case_view), name=f"{info[0]}_{info[1]}_next"),
            path("<int:pk>/claim/", wrap(self.claim_view), name=f"{info[0]}_{info[1]}_claim"),
            path("<int:pk>/release/", wrap(self.release_view), name=f"{info[0]}_{info[1]}_release"),
            path("<int:pk>/decide/", wrap(self.decide_view), name=f"{info[0]}_{info[1]}_decide"),
            path("<int:pk>/undo/<int:decision_pk>/", wrap(self.undo_view), name=f"{info[0]}_{info[1]}_undo"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "backlog": selectors.backlog_count(),
            "can_decide": self.has_decide_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        case = get_object_or_404(
            Case.objects.select_related("posting__employer", "employer", "seeker", "claimed_by", "excluded_moderator"),
            pk=object_id,
        )
        detail = selectors.case_detail(case)
        now = timezone.now()
        can_decide = self.has_decide_permission(request)
        form = DecisionForm(initial=self._initial_decision(case, detail))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Case #%(id)s") % {"id": case.pk},
            "opts": self.opts,
            "case": case,
            "detail": detail,
            "form": form,
            "can_decide": can_decide,
            "can_takeover": request.user.has_perm("moderation.takeover_case"),
            "claimed_by_me": case.claim_is_live(now) and case.claimed_by_id == request.user.pk,
            "claimed_by_other": case.claim_is_live(now) and case.claimed_by_id != request.user.pk,
            "sla": sla_badge(case.due_at, now, case.status == CaseStatus.RESOLVED),
            "band": band_badge(case.band, case.get_band_display()),
            "score_parts": selectors_score_parts(case),
            "title_html": highlight(case.posting.title, spans_for(detail.hits, "title")) if case.posting else "",
            "description_html": highlight(case.posting.description, spans_for(detail.hits, "description"))
            if case.posting
            else "",
            "wage_finding": jobs_selectors.posting_wage_finding(posting=case.posting) if case.posting else None,
            "undo_window_minutes": common.config()["UNDO_MINUTES"],
            "undoable": self._undoable(request, detail.decisions, now),
            "next_url": reverse("admin:moderation_case_next") + f"?after={case.pk}",
            "prev_url": request.GET.get("from") or reverse("admin:moderation_case_changelist"),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/moderation/case/case_page.html", context)

    def _initial_decision(self, case: Case, detail: selectors.CaseDetail) -> dict[str, Any]:
        templates = {t.code: t for t in detail.templates}
        suggested_remove = None
        if detail.hits:
            suggested_remove = CLAUSE_TO_REMOVE.get(detail.hits[0].rule.clause)
        suggested_remove = suggested_remove or SUGGESTED_REMOVE.get(case.primary_reason)
        return {
            "expected_version": case.version,
            "template_approve": templates.get("approve-no-violation"),
            "template_dismiss": templates.get("dismiss-unfounded"),
            "template_remove": templates.get(suggested_remove or ""),
            "remove_mode": RemoveMode.HIDE,
        }

    def _undoable(self, request: HttpRequest, decisions: list[Decision], now: Any) -> int | None:
        live = [d for d in decisions if d.undone_at is None]
        if not live:
            return None
        last = live[-1]
        window = timezone.timedelta(minutes=common.config()["UNDO_MINUTES"])
        if last.moderator_id is None or now - last.created_at > window:
            return None
        if last.moderator_id == request.user.pk or request.user.has_perm("moderation.undo_decision"):
            return last.pk
        return None

    def _back(self, request: HttpRequest, case_pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:moderation_case_change", args=[case_pk]))

    def next_case_view(self, request: HttpRequest) -> HttpResponse:
        after = None
        if request.GET.get("after", "").isdigit():
            after = Case.objects.filter(pk=int(request.GET["after"])).first()
        case = selectors.next_case_for(user=request.user, after=after)
        if case is None:
            self.message_user(request, _("Nothing left in the queue for you."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))
        return self._back(request, case.pk)

    def _post_only(self, request: HttpRequest) -> None:
        if request.method != "POST":
            raise PermissionDenied

    def claim_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._post_only(request)
        case = get_object_or_404(Case, pk=pk)
        try:
            claims.case_claim(user=request.user, case=case)
            self.message_user(
                request,
                _("Case #%(id)s is yours for the next %(minutes)s min.")
                % {"id": pk, "minutes": common.config()["CLAIM_MINUTES"]},
                messages.SUCCESS,
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, _errors(exc), messages.ERROR)
        if request.POST.get("next") == "queue":
            return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))
        return self._back(request, pk)

    def release_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._post_only(request)
        case = get_object_or_404(Case, pk=pk)
        try:
            claims.case_release(user=request.user, case=case)
            self.message_user(request, _("Claim released."), messages.SUCCESS)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, _errors(exc), messages.ERROR)
        return self._back(request, pk)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._post_only(request)
        case = get_object_or_404(Case, pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request,
                _("The decision form was incomplete: %(errors)s") % {"errors": form.errors.as_text()},
                messages.ERROR,
            )
            return self._back(request, pk)
        try:
            decision = decisions.case_decide(user=request.user, case=case, request=form.to_request())
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, _errors(exc), messages.ERROR)
            return self._back(request, pk)
        self.message_user(
            request,
            _("Case #%(id)s: %(action)s. You can undo it for %(minutes)s minutes.")
            % {"id": pk, "action": decision.get_action_display(), "minutes": common.config()["UNDO_MINUTES"]},
            messages.SUCCESS,
        )
        if request.POST.get("then") == "next":
            return HttpResponseRedirect(reverse("admin:moderation_case_next") + f"?after={pk}")
        return self._back(request, pk)

    def undo_view(self, request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
        self._post_only(request)
        decision = get_object_or_404(Decision, pk=decision_pk, case_id=pk)
        try:
            decisions.decision_undo(user=request.user, decision=decision, note=request.POST.get("note", ""))
            self.message_user(
                request, _("Decision undone; the case is open again and claimed by you."), messages.SUCCESS
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, _errors(exc), messages.ERROR)
        return self._back(request, pk)

    # --- bulk decisions (with a confirmation page) ---
    def _bulk(self, request: HttpRequest, queryset: QuerySet[Case], action: str, title: str) -> HttpResponse | None:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        confirmed = "confirm" in request.POST
        form = BulkDecisionForm(request.POST if confirmed else None, action=action)
        cases = list(queryset.select_related("posting__employer", "employer", "seeker", "claimed_by")[:500])
        if confirmed and form.is_valid():
            versions = {
                int(k.split("_", 1)[1]): int(v)
                for k, v in request.POST.items()
                if k.startswith("version_") and v.isdigit()
            }
            selected = queryset.count()
            if selected > BULK_IN_REQUEST_MAX:
                # Too many for one request: a background job with progress (cases beyond the confirmation
                # page's list are held to the version they have now, at confirmation).
                template = form.cleaned_data.get("template")
                job = background_start(
                    kind=background_jobs.BULK_DECISION,
                    label=f"{title}: {selected}",
                    user=request.user,
                    params={
                        "action": action,
                        "cases": [
                            [pk, versions.get(pk, version)] for pk, version in queryset.values_list("pk", "version")
                        ],
                        "template_id": template.pk if template else None,
                        "note": form.cleaned_data.get("note") or "",
                    },
                )
                self.message_user(
                    request,
                    _("%(count)d cases are being decided in the background; this page shows the progress.")
                    % {"count": selected},
                    messages.INFO,
                )
                return HttpResponseRedirect(job_url(job))
            done, refused = 0, []
            for case in cases:
                try:
                    decisions.case_decide(
                        user=request.user,
                        case=case,
                        request=decisions.DecisionRequest(
                            action=action,
                            # The version the moderator saw on the confirmation page: later changes refuse.
                            expected_version=versions.get(case.pk, case.version),
                            reason_template=form.cleaned_data.get("template"),
                            note=form.cleaned_data.get("note") or "",
                        ),
                    )
                    done += 1
                except (ValidationError, PermissionDenied) as exc:
                    refused.append(f"#{case.pk}: {_errors(exc)}")
            level = messages.SUCCESS if not refused else messages.WARNING
            self.message_user(
                request, ngettext("%(done)d case decided.", "%(done)d cases decided.", done) % {"done": done}, level
            )
            for line in refused[:20]:
                self.message_user(request, line, messages.ERROR)
            return None
        return TemplateResponse(
            request,
            "admin/moderation/case/bulk_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "form": form,
                "cases": cases,
                "action": request.POST.get("action"),
                "select_across": request.POST.get("select_across", "0"),
                "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    @admin.action(description=gettext_lazy("Approve selected cases…"), permissions=["decide"])
    def bulk_approve(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        return self._bulk(request, queryset, DecisionAction.APPROVE, _("Approve cases"))

    @admin.action(description=gettext_lazy("Remove selected postings (hide)…"), permissions=["decide"])
    def bulk_remove(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        return self._bulk(request, queryset, DecisionAction.REMOVE, _("Remove postings"))

    @admin.action(description=gettext_lazy("Dismiss reports of selected cases…"), permissions=["decide"])
    def bulk_dismiss(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        return self._bulk(request, queryset, DecisionAction.DISMISS, _("Dismiss reports"))

    @admin.action(description=gettext_lazy("Escalate selected cases…"), permissions=["decide"])
    def bulk_escalate(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        return self._bulk(request, queryset, DecisionAction.ESCALATE, _("Escalate cases"))


def selectors_score_parts(case: Case) -> str:
    """The score explained ("rules 40, reports 18 …") without a second scoring code path."""
    from moderation.policies import score_case

    return score_case(selectors.case_signals(case)).explain()


def backlog_badge(request: HttpRequest) -> dict[str, int]:
    if not request.user.has_perm("moderation.view_case"):
        return {}
    return {"moderation.case": selectors.backlog_count()}


admin.site.nav_badge_providers.append(backlog_badge)  # type: ignore[attr-defined]


# --- supporting records (read-only) ---------------------------------------------------------------------
@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = (
        "external_id",
        "reason",
        "target_kind",
        "target_key",
        "reporter_kind",
        "reporter_external_id",
        "status",
        "filed_at",
        "case_link",
    )
    list_filter = ("status", "reason", "target_kind", "reporter_kind")
    search_fields = ("=external_id", "=reporter_external_id", "=target_key")
    date_hierarchy = "filed_at"
    ordering = ("-filed_at",)

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, report: Report) -> str:
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:moderation_case_change", args=[report.case_id]), report.case_id
        )


@admin.register(RuleHit)
class RuleHitAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("created_at", "rule", "posting", "weight", "mode", "confirmed", "case")
    list_filter = ("mode", "confirmed", "rule")
    list_select_related = ("rule", "posting", "case__posting", "case__employer", "case__seeker")
    search_fields = ("=posting__external_id", "rule__name")
    ordering = ("-created_at",)


class AppealForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("the user's appeal"), widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    actions = ["record_appeal"]
    list_display = (
        "created_at",
        "case",
        "action",
        "moderator",
        "reason_template",
        "clause",
        "posting_status_after",
        "undone_at",
    )
    list_filter = ("action", "clause", ("moderator", admin.RelatedOnlyFieldListFilter))
    # Case.__str__ names its target: load it with the case, or every row costs queries.
    list_select_related = ("case__posting", "case__employer", "case__seeker", "moderator", "reason_template")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    @admin.action(description=gettext_lazy("Record an appeal from the user…"), permissions=["decide"])
    def record_appeal(self, request: HttpRequest, queryset: QuerySet[Decision]) -> HttpResponse | None:
        """Staff record an appeal received by support; the case reopens for a different moderator."""
        decisions = list(queryset.select_related("case")[:1])
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one decision to appeal."), messages.WARNING)
            return None
        form = AppealForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            try:
                appeal = appeals.appeal_file(
                    actor=Actor.staff(request.user), decision=decisions[0], text=form.cleaned_data["text"]
                )
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, _errors(exc), messages.ERROR)
                return None
            self.message_user(
                request,
                _("Appeal recorded; case #%(id)s is back in the queue.") % {"id": appeal.case_id},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/moderation/decision/appeal_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Record an appeal"),
                "opts": self.opts,
                "form": form,
                "decision": decisions[0],
                "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.decide_case")


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = (
        "created_at",
        "subject_kind",
        "employer",
        "seeker",
        "kind",
        "strike",
        "until",
        "clause",
        "revoked_at",
    )
    list_filter = ("kind", "subject_kind", "clause")
    list_select_related = ("employer", "seeker")
    search_fields = ("=employer__external_id", "=seeker__external_id", "employer__business_name")
    ordering = ("-created_at",)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("filed_at", "decision", "case", "status", "resolved_at")
    list_filter = ("status",)
    list_select_related = (
        "decision__case__posting",
        "decision__case__employer",
        "decision__case__seeker",
        "case__posting",
        "case__employer",
        "case__seeker",
    )
    ordering = ("-filed_at",)


@admin.register(SecondReview)
class SecondReviewAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = ("created_at", "decision", "decided_by", "status", "reviewer", "completed_at")
    list_filter = ("status",)
    list_select_related = (
        "decision__moderator",
        "decision__case__posting",
        "decision__case__employer",
        "decision__case__seeker",
        "reviewer",
    )
    ordering = ("status", "created_at")
    actions = ["agree", "disagree"]

    @admin.display(description=gettext_lazy("decided by"))
    def decided_by(self, review: SecondReview) -> str:
        return review.decision.moderator.get_username() if review.decision.moderator else "system"

    def _complete(self, request: HttpRequest, queryset: QuerySet[SecondReview], agreed: bool) -> None:
        done = 0
        for review in queryset.filter(status=ReviewStatus.PENDING):
            try:
                decisions.second_review_complete(user=request.user, review=review, agreed=agreed)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{review}: {_errors(exc)}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(done)d review recorded.", "%(done)d reviews recorded.", done) % {"done": done},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Agree with the selected decisions"), permissions=["decide"])
    def agree(self, request: HttpRequest, queryset: QuerySet[SecondReview]) -> None:
        self._complete(request, queryset, agreed=True)

    @admin.action(description=gettext_lazy("Disagree with the selected decisions"), permissions=["decide"])
    def disagree(self, request: HttpRequest, queryset: QuerySet[SecondReview]) -> None:
        self._complete(request, queryset, agreed=False)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.decide_case")


@admin.register(ReporterStats)
class ReporterStatsAdmin(ReadOnlyAdminMixin, BackofficeModelAdmin):
    list_display = (
        "reporter_kind",
        "reporter_external_id",
        "reports_filed",
        "reports_upheld",
        "reports_dismissed",
        "accuracy_display",
    )
    list_filter = ("reporter_kind",)
    search_fields = ("=reporter_external_id",)
    ordering = ("-reports_filed",)

    @admin.display(description=gettext_lazy("accuracy"))
    def accuracy_display(self, stats: ReporterStats) -> str:
        return "—" if stats.accuracy is None else f"{stats.accuracy:.0%}"


@admin.register(ReasonTemplate)
class ReasonTemplateAdmin(BackofficeModelAdmin):
    list_display = ("code", "title", "action", "clause", "active")
    list_filter = ("action", "clause", "active")
    search_fields = ("code", "title", "text_ko", "text_en")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # past decisions reference their template; retire it with "active" instead

    def save_model(self, request: HttpRequest, obj: ReasonTemplate, form: forms.ModelForm, change: bool) -> None:
        saved = config.reason_template_save(actor=Actor.staff(request.user), template=obj)
        obj.pk = saved.pk


@admin.register(Rule)
class RuleAdmin(BackofficeModelAdmin):
    list_display = ("name", "kind", "clause", "weight", "mode", "enabled", "updated_at")
    list_filter = ("kind", "mode", "enabled", "clause")
    search_fields = ("name",)
    actions = ["dry_run"]
    # A dry run over 20,000 postings takes seconds per rule: a handful of rules at a time.
    DRY_RUN_MAX_RULES = 20

    class RuleForm(forms.ModelForm):
        """The config is checked by the rule kind itself (``moderation.rules.validate_config``) before saving:
        an invalid regex or a misspelt key is a message on the form, never a rule that silently fails."""

        class Meta:
            model = Rule
            fields = ("name", "kind", "clause", "config", "weight", "mode", "enabled")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if "config" in self.fields:
                import json

                from django.utils.html import format_html_join
                from django.utils.safestring import mark_safe

                from moderation.models import RuleKind
                from moderation.rules import evaluator_class, registered_kinds

                self.fields["config"].help_text = format_html_join(
                    mark_safe("<br>"),
                    "<b>{}</b>: <code>{}</code>",
                    (
                        (RuleKind(kind).label, json.dumps(evaluator_class(kind).example_config, ensure_ascii=False))
                        for kind in registered_kinds()
                    ),
                )

        def clean(self) -> dict[str, Any]:
            from moderation.rules import validate_config

            cleaned = super().clean()
            kind = cleaned.get("kind")
            if kind and "config" in cleaned:
                try:
                    validate_config(kind, cleaned["config"])
                except ValidationError as exc:
                    self.add_error("config", exc)
            return cleaned

    class DryRunForm(forms.Form):
        days = forms.IntegerField(label=gettext_lazy("Postings created in the last (days)"), min_value=1, max_value=90)
        limit = forms.IntegerField(
            label=gettext_lazy("At most (newest first)"),
            min_value=1,
            max_value=DRY_RUN_MAX_BACKGROUND,
            initial=20_000,
            help_text=gettext_lazy("Up to 20,000 answer at once; more run in the background with progress."),
        )

    form = RuleForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # hits reference their rule; disable it instead

    def save_model(self, request: HttpRequest, obj: Rule, form: forms.ModelForm, change: bool) -> None:
        saved = config.rule_save(actor=Actor.staff(request.user), rule=obj)
        obj.pk = saved.pk

    @admin.action(description=gettext_lazy("Dry-run on the last N days…"), permissions=["change"])
    def dry_run(self, request: HttpRequest, queryset: QuerySet[Rule]) -> HttpResponse | None:
        """What the selected rules would have flagged among recent postings, before anyone enables them.

        Reads only: no hit, case or audit row is written. Synchronous up to 20,000 postings (seconds);
        issue 5 moves it to a Celery task with progress for longer windows."""
        from moderation import screening

        rules = list(queryset.order_by("name")[: self.DRY_RUN_MAX_RULES + 1])
        if len(rules) > self.DRY_RUN_MAX_RULES:
            self.message_user(
                request,
                _("Select at most %(max)d rules for a dry run.") % {"max": self.DRY_RUN_MAX_RULES},
                messages.WARNING,
            )
            return None
        running = "run" in request.POST
        form = self.DryRunForm(request.POST if running else None, initial={"days": 7, "limit": 20_000})
        report = None
        results: list[dict[str, Any]] = []
        if running and form.is_valid() and form.cleaned_data["limit"] > screening.DRY_RUN_MAX_POSTINGS:
            job = background_start(
                kind=background_jobs.RULE_DRY_RUN,
                label=_("Dry run of %(rules)s") % {"rules": ", ".join(rule.name for rule in rules)},
                user=request.user,
                params={
                    "rule_ids": [rule.pk for rule in rules],
                    "days": form.cleaned_data["days"],
                    "limit": form.cleaned_data["limit"],
                },
            )
            self.message_user(request, _("The dry run runs in the background; this page shows the progress."))
            return HttpResponseRedirect(job_url(job))
        if running and form.is_valid():
            report = screening.dry_run(rules=rules, days=form.cleaned_data["days"], limit=form.cleaned_data["limit"])
            for result in report.results:
                examples = []
                for example in result.examples:
                    spans = [{**span.as_dict(), "rule": result.rule.name} for span in example.hit.spans]
                    posting = example.posting
                    examples.append(
                        {
                            "posting": posting,
                            "url": reverse("admin:jobs_jobposting_change", args=[posting.pk]),
                            "summary": example.hit.summary,
                            "numbers": example.hit.numbers,
                            "title": highlight(posting.title, [s for s in spans if s["field"] == "title"]),
                            "description": highlight(
                                posting.description, [s for s in spans if s["field"] == "description"]
                            ),
                        }
                    )
                results.append({"result": result, "percent": 100 * report.rate(result), "examples": examples})
        return TemplateResponse(
            request,
            "admin/moderation/rule/dry_run.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Dry run of screening rules"),
                "opts": self.opts,
                "form": form,
                "rules": rules,
                "report": report,
                "results": results,
                "action": request.POST.get("action", "dry_run"),
                "selected_ids": [str(rule.pk) for rule in rules],
            },
        )
