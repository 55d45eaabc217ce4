"""Admin for the jobs domain: presentation and wiring only; every state change calls a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.actions import OutcomeStatus, one
from backoffice.admin_tools import BackofficeModelAdmin
from backoffice.audit import Actor
from jobs import selectors
from jobs.actions import accounts, postings
from jobs.actions.common import POSTING_CONTENT_FIELDS
from jobs.models import (
    AccountStatus,
    Application,
    CloseReason,
    Employer,
    JobPosting,
    MinimumWage,
    PostingStatus,
    Seeker,
)
from jobs.regions import DISTRICTS, region_name


class DistrictFilter(admin.SimpleListFilter):
    """Filter by 시군구 (the first five digits of the 법정동 code): staff think in districts."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(DISTRICTS.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(region_code__startswith=self.value())
        return queryset


def _won(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}원"


# --- employers -------------------------------------------------------------------------------------------
@admin.register(Employer)
class EmployerAdmin(BackofficeModelAdmin):
    list_display = (
        "business_name",
        "external_id",
        "business_number",
        "district",
        "verification_status",
        "account_status",
        "suspended_until",
        "created_at",
    )
    list_filter = ("account_status", "verification_status", DistrictFilter)
    search_fields = ("business_name", "=external_id", "=business_number", "=phone")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    readonly_fields = (
        "external_id",
        "created_at",
        "updated_at",
        "source_updated_at",
        "account_status",
        "suspended_until",
        "posting_summary",
        "recent_postings",
    )
    fieldsets = (
        (None, {"fields": ("business_name", "external_id", "business_number", "phone", "region_code")}),
        (_("Account"), {"fields": ("verification_status", "account_status", "suspended_until")}),
        (_("Postings"), {"fields": ("posting_summary", "recent_postings")}),
        (_("History"), {"fields": ("created_at", "updated_at", "source_updated_at"), "classes": ("collapse",)}),
    )
    actions = ["reinstate_accounts"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Employers come from the marketplace; the back-office never invents one.
        return False

    @admin.display(description=_("district"), ordering="region_code")
    def district(self, employer: Employer) -> str:
        return region_name(employer.region_code)

    @admin.display(description=_("postings by status"))
    def posting_summary(self, employer: Employer) -> str:
        counts = selectors.employer_posting_counts(employer=employer)
        changelist = reverse("admin:jobs_jobposting_changelist")
        return format_html_join(
            " · ",
            '<a href="{}?{}">{}: {}</a>',
            (
                (changelist, urlencode({"employer__id__exact": employer.pk, "status__exact": status}), label, count)
                for status, label, count in ((s, PostingStatus(s).label, n) for s, n in counts.items())
            ),
        )

    @admin.display(description=_("latest postings"))
    def recent_postings(self, employer: Employer) -> str:
        postings = selectors.employer_recent_postings(employer=employer, limit=20)
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:jobs_jobposting_change", args=[posting.pk]),
                    posting.title,
                    posting.get_status_display(),
                    posting.get_employment_type_display(),
                    _won(posting.wage_amount),
                    timezone.localtime(posting.created_at).strftime("%Y-%m-%d"),
                )
                for posting in postings
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "—"

    def save_model(self, request: HttpRequest, obj: Employer, form: forms.ModelForm, change: bool) -> None:
        one(
            accounts.employers_upsert(
                [
                    accounts.EmployerUpsert(
                        actor=Actor.staff(request.user),
                        external_id=obj.external_id,
                        business_name=obj.business_name,
                        region_code=obj.region_code,
                        phone=obj.phone,
                        business_number=obj.business_number,
                        verified=obj.verification_status == "verified",
                    )
                ]
            )
        )

    @admin.action(description=_("Reinstate selected accounts"), permissions=["manage_account"])
    def reinstate_accounts(self, request: HttpRequest, queryset: QuerySet[Employer]) -> None:
        outcomes = accounts.accounts_set_status(
            [
                accounts.AccountStatusChange(
                    actor=Actor.staff(request.user),
                    account=employer,
                    status=AccountStatus.ACTIVE,
                    note="Reinstated in admin",
                )
                for employer in queryset.exclude(account_status=AccountStatus.ACTIVE)
            ]
        )
        count = sum(1 for outcome in outcomes if outcome.status == OutcomeStatus.APPLIED)
        self.message_user(
            request,
            ngettext("%(count)d account reinstated.", "%(count)d accounts reinstated.", count) % {"count": count},
            messages.SUCCESS,
        )

    def has_manage_account_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.manage_employer_account")


# --- seekers ---------------------------------------------------------------------------------------------
@admin.register(Seeker)
class SeekerAdmin(BackofficeModelAdmin):
    list_display = ("external_id", "display_name", "district", "account_status", "last_active_at", "anonymized_at")
    list_filter = ("account_status", DistrictFilter)
    search_fields = ("=external_id", "display_name", "=phone")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    readonly_fields = (
        "external_id",
        "account_status",
        "suspended_until",
        "last_active_at",
        "anonymized_at",
        "created_at",
        "updated_at",
        "source_updated_at",
    )
    actions = ["reinstate_accounts"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("district"), ordering="region_code")
    def district(self, seeker: Seeker) -> str:
        return region_name(seeker.region_code)

    def save_model(self, request: HttpRequest, obj: Seeker, form: forms.ModelForm, change: bool) -> None:
        one(
            accounts.seekers_upsert(
                [
                    accounts.SeekerUpsert(
                        actor=Actor.staff(request.user),
                        external_id=obj.external_id,
                        display_name=obj.display_name,
                        region_code=obj.region_code,
                        phone=obj.phone,
                        birth_year=obj.birth_year,
                    )
                ]
            )
        )

    @admin.action(description=_("Reinstate selected accounts"), permissions=["manage_account"])
    def reinstate_accounts(self, request: HttpRequest, queryset: QuerySet[Seeker]) -> None:
        outcomes = accounts.accounts_set_status(
            [
                accounts.AccountStatusChange(
                    actor=Actor.staff(request.user),
                    account=seeker,
                    status=AccountStatus.ACTIVE,
                    note="Reinstated in admin",
                )
                for seeker in queryset.exclude(account_status=AccountStatus.ACTIVE)
            ]
        )
        count = sum(1 for outcome in outcomes if outcome.status == OutcomeStatus.APPLIED)
        self.message_user(
            request,
            ngettext("%(count)d account reinstated.", "%(count)d accounts reinstated.", count) % {"count": count},
            messages.SUCCESS,
        )

    def has_manage_account_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.manage_seeker_account")


# --- postings --------------------------------------------------------------------------------------------
class ApplicationInline(admin.TabularInline):
    model = Application
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("external_id", "seeker", "status", "submitted_at", "viewed_at", "hired_at", "status_changed_at")
    readonly_fields = fields
    ordering = ("-submitted_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).select_related("seeker")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobPostingAdminForm(forms.ModelForm):
    class Meta:
        model = JobPosting
        fields = ("external_id", "employer", *POSTING_CONTENT_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The employment-type policy's objections appear on the form, before anything is saved.
        terms = {name: cleaned.get(name, getattr(self.instance, name)) for name in POSTING_CONTENT_FIELDS}
        if terms.get("employment_type") and terms.get("wage_type") and terms.get("wage_amount"):
            try:
                postings.validate_posting_terms(terms)
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class ClosePostingsForm(forms.Form):
    reason = forms.ChoiceField(label=_("reason"), choices=CloseReason.choices)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(JobPosting)
class JobPostingAdmin(BackofficeModelAdmin):
    form = JobPostingAdminForm
    list_display = (
        "title",
        "employer",
        "employment_type",
        "wage",
        "district",
        "category",
        "status",
        "application_count",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "employment_type", "category", "wage_type", DistrictFilter)
    search_fields = ("title", "=external_id", "employer__business_name", "=employer__external_id")
    list_select_related = ("employer",)
    autocomplete_fields = ("employer",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [ApplicationInline]
    readonly_fields = (
        "external_id",
        "status",
        "status_changed_at",
        "published_at",
        "expires_at",
        "closed_at",
        "close_reason",
        "application_count",
        "first_application_at",
        "content_fingerprint",
        "created_at",
        "updated_at",
        "source_updated_at",
        "wage_check",
    )
    fieldsets = (
        (None, {"fields": ("external_id", "employer", "title", "description")}),
        (
            _("Terms"),
            {
                "fields": (
                    "employment_type",
                    "wage_type",
                    "wage_amount",
                    "wage_check",
                    "hours_per_week",
                    "region_code",
                    "category",
                    "starts_on",
                    "ends_on",
                )
            },
        ),
        (
            _("Lifecycle"),
            {
                "fields": (
                    "status",
                    "status_changed_at",
                    "published_at",
                    "expires_at",
                    "closed_at",
                    "close_reason",
                    "application_count",
                    "first_application_at",
                )
            },
        ),
        (
            _("History"),
            {
                "fields": ("content_fingerprint", "created_at", "updated_at", "source_updated_at"),
                "classes": ("collapse",),
            },
        ),
    )
    actions = ["close_postings"]

    def get_readonly_fields(self, request: HttpRequest, obj: JobPosting | None = None) -> tuple[str, ...]:
        fields = tuple(self.readonly_fields)
        if obj is not None:
            # The marketplace id and the employer identify the posting; they never change after creation.
            fields += ("employer",)
        return fields

    @admin.display(description=_("wage"), ordering="wage_amount")
    def wage(self, posting: JobPosting) -> str:
        return f"{posting.get_wage_type_display()} {_won(posting.wage_amount)}"

    @admin.display(description=_("district"), ordering="region_code")
    def district(self, posting: JobPosting) -> str:
        return region_name(posting.region_code)

    @admin.display(description=_("minimum-wage check"))
    def wage_check(self, posting: JobPosting) -> str:
        if posting.pk is None:
            return "—"
        finding = selectors.posting_wage_finding(posting=posting)
        if finding is None:
            return format_html('<span style="color:#2e7d32">{}</span>', _("At or above the legal minimum"))
        return format_html('<strong style="color:#c62828">{}</strong>', finding.describe())

    def save_model(self, request: HttpRequest, obj: JobPosting, form: forms.ModelForm, change: bool) -> None:
        actor = Actor.staff(request.user)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in POSTING_CONTENT_FIELDS}
            request_ = postings.PostingSave(
                actor=actor, external_id=obj.external_id, values=changes, mode=postings.SaveMode.UPDATE
            )
        else:
            request_ = postings.PostingSave(
                actor=actor,
                employer=form.cleaned_data["employer"],
                external_id=form.cleaned_data["external_id"],
                values={name: form.cleaned_data.get(name) for name in POSTING_CONTENT_FIELDS},
                mode=postings.SaveMode.CREATE,
            )
        saved = one(postings.postings_save([request_]))
        obj.pk = saved.pk

    @admin.action(description=_("Close selected postings…"), permissions=["moderate"])
    def close_postings(self, request: HttpRequest, queryset: QuerySet[JobPosting]) -> HttpResponse | None:
        form = ClosePostingsForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            outcomes = postings.postings_change_status(
                [
                    postings.PostingStatusChange(
                        actor=Actor.staff(request.user),
                        posting=posting,
                        status=PostingStatus.CLOSED,
                        close_reason=form.cleaned_data["reason"],
                        note=form.cleaned_data["note"],
                    )
                    for posting in queryset
                ]
            )
            closed = sum(1 for outcome in outcomes if outcome.status == OutcomeStatus.APPLIED)
            skipped = len(outcomes) - closed
            self.message_user(
                request,
                _("%(closed)d closed, %(skipped)d skipped (already closed or not closable).")
                % {"closed": closed, "skipped": skipped},
                messages.SUCCESS if closed else messages.WARNING,
            )
            return None
        return TemplateResponse(
            request,
            "admin/jobs/jobposting/close_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Close postings"),
                "opts": self.model._meta,
                "form": form,
                "postings": queryset.select_related("employer")[:200],
                "count": queryset.count(),
                "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "action": "close_postings",
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.moderate_jobposting")


@admin.register(Application)
class ApplicationAdmin(BackofficeModelAdmin):
    list_display = ("external_id", "posting", "seeker", "status", "submitted_at", "status_changed_at")
    list_filter = ("status",)
    search_fields = ("=external_id", "=posting__external_id", "=seeker__external_id")
    list_select_related = ("posting", "seeker")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at",)
    readonly_fields = [f.name for f in Application._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Application state belongs to the marketplace; the back-office mirrors it.
        return False


@admin.register(MinimumWage)
class MinimumWageAdmin(admin.ModelAdmin):
    list_display = ("year", "hourly_amount_display", "monthly_equivalent", "source")
    ordering = ("-year",)

    @admin.display(description=_("hourly minimum"), ordering="hourly_amount")
    def hourly_amount_display(self, row: MinimumWage) -> str:
        return _won(row.hourly_amount)

    @admin.display(description=_("monthly (209 h)"))
    def monthly_equivalent(self, row: MinimumWage) -> str:
        return _won(row.hourly_amount * 209)

    def save_model(self, request: HttpRequest, obj: MinimumWage, form: forms.ModelForm, change: bool) -> None:
        saved = one(
            postings.minimum_wages_set(
                [
                    postings.MinimumWageSet(
                        actor=Actor.staff(request.user),
                        year=obj.year,
                        hourly_amount=obj.hourly_amount,
                        source=obj.source,
                    )
                ]
            )
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Past postings were judged against these rows; removing one would rewrite history.
        return False
