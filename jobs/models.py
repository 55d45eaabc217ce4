"""The jobs domain: employers, seekers, postings, applications, and the legal minimum-wage table.

Tables, constraints and indexes only. Workflows live in ``jobs.services``; employment-type behaviour lives in
``jobs.policies``.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jobs.regions import region_name

region_code_validator = RegexValidator(r"^\d{10}$", _("A region is a 10-digit legal-dong (beopjeong-dong) code."))
business_number_validator = RegexValidator(r"^\d{10}$", _("A business registration number has 10 digits."))


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    BANNED = "banned", _("Banned")


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VERIFIED = "verified", _("Verified")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")
    FREELANCE = "freelance", _("Freelance")


class WageType(models.TextChoices):
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    MONTHLY = "monthly", _("Monthly")
    PER_PROJECT = "per_project", _("Per project")


class Category(models.TextChoices):
    FOOD_SERVICE = "food_service", _("Food & beverage")
    RETAIL = "retail", _("Retail & store")
    DELIVERY = "delivery", _("Driving & delivery")
    OFFICE = "office", _("Office & accounting")
    CUSTOMER_SERVICE = "customer_service", _("Customer service & sales")
    MANUFACTURING = "manufacturing", _("Production, construction & labor")
    CLEANING = "cleaning", _("Cleaning & housekeeping")
    CARE = "care", _("Care (children, pets, elderly)")
    EDUCATION = "education", _("Education & tutoring")
    IT = "it", _("IT & design")
    EVENTS = "events", _("Events & staffing")
    ERRANDS = "errands", _("Short errands")


class PostingStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")


class CloseReason(models.TextChoices):
    FILLED = "filled", _("Filled")
    CANCELLED = "cancelled", _("Cancelled")
    NO_RESPONSE = "no_response", _("No response to applicants")
    OTHER = "other", _("Other")


class ApplicationStatus(models.TextChoices):
    # Context: Korean says 반려 for a rejected posting but 불합격 for a rejected applicant.
    SUBMITTED = "submitted", pgettext_lazy("application status", "Submitted")
    VIEWED = "viewed", pgettext_lazy("application status", "Viewed")
    SHORTLISTED = "shortlisted", pgettext_lazy("application status", "Shortlisted")
    HIRED = "hired", pgettext_lazy("application status", "Hired")
    REJECTED = "rejected", pgettext_lazy("application status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # occurred_at of the newest marketplace event applied to this row: an older event arriving late must
    # not overwrite newer state (EVENTS.md, "newer occurred_at wins").
    source_updated_at = models.DateTimeField(_("source updated at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Employer(TimestampedModel):
    external_id = models.CharField(_("marketplace id"), max_length=64, unique=True)
    business_name = models.CharField(_("business name"), max_length=200)
    business_number = models.CharField(
        _("business registration number"), max_length=10, blank=True, validators=[business_number_validator]
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    region_code = models.CharField(_("region"), max_length=10, validators=[region_code_validator])
    verification_status = models.CharField(
        _("verification"), max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    account_status = models.CharField(
        _("account status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        permissions = [("manage_employer_account", _("Can suspend, ban and reinstate employers"))]
        indexes = [
            models.Index(fields=["account_status", "-created_at"], name="employer_status_idx"),
            models.Index(fields=["business_number"], name="employer_bizno_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(account_status=AccountStatus.SUSPENDED) | Q(suspended_until__isnull=False),
                name="employer_suspension_has_end",
            ),
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)


class Seeker(TimestampedModel):
    # Personal data: anonymised after the retention period, never copied into the audit log.
    AUDIT_REDACTED_FIELDS = ("display_name", "phone", "birth_year")

    external_id = models.CharField(_("marketplace id"), max_length=64, unique=True)
    display_name = models.CharField(_("display name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    region_code = models.CharField(_("region"), max_length=10, validators=[region_code_validator])
    account_status = models.CharField(
        _("account status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    last_active_at = models.DateTimeField(_("last active at"), default=timezone.now)
    anonymized_at = models.DateTimeField(_("anonymized at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job seeker")
        verbose_name_plural = _("job seekers")
        permissions = [("manage_seeker_account", _("Can suspend, ban and reinstate job seekers"))]
        indexes = [
            models.Index(fields=["account_status", "-created_at"], name="seeker_status_idx"),
            # The retention job scans by last activity among the not-yet-anonymised.
            models.Index(fields=["last_active_at"], name="seeker_retention_idx", condition=Q(anonymized_at=None)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(account_status=AccountStatus.SUSPENDED) | Q(suspended_until__isnull=False),
                name="seeker_suspension_has_end",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="seeker_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.external_id})"


class MinimumWage(models.Model):
    """The legal hourly minimum wage per year (최저임금법). A table, not a constant: a new year is a new row."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    hourly_amount = models.PositiveIntegerField(_("hourly minimum (KRW)"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("minimum wage")
        verbose_name_plural = _("minimum wage table")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_amount__gt=0), name="minimum_wage_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.hourly_amount:,} KRW/h"


class JobPosting(TimestampedModel):
    external_id = models.CharField(_("marketplace id"), max_length=64, unique=True)
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="postings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    employment_type = models.CharField(_("employment type"), max_length=16, choices=EmploymentType.choices)
    wage_type = models.CharField(_("wage type"), max_length=16, choices=WageType.choices)
    wage_amount = models.PositiveIntegerField(_("wage (KRW)"))
    hours_per_week = models.PositiveSmallIntegerField(_("hours per week"), null=True, blank=True)
    region_code = models.CharField(_("region"), max_length=10, validators=[region_code_validator])
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PostingStatus.choices, default=PostingStatus.PENDING_REVIEW
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=16, choices=CloseReason.choices, blank=True)
    # Hash of the normalised title and text: exact re-posts share it (near-duplicates are the rules' job).
    content_fingerprint = models.CharField(_("content fingerprint"), max_length=32, editable=False)
    # Denormalised so the changelist, the queue's exposure score and the funnel read a column, not a COUNT.
    application_count = models.PositiveIntegerField(_("applications"), default=0, editable=False)
    first_application_at = models.DateTimeField(_("first application at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("job posting")
        verbose_name_plural = _("job postings")
        permissions = [("moderate_jobposting", _("Can publish, hide, reject and close postings"))]
        indexes = [
            # Changelist default ordering and the status filter; report pages by status over time.
            models.Index(fields=["status", "-created_at"], name="posting_status_created_idx"),
            models.Index(fields=["-created_at"], name="posting_created_idx"),
            # An employer's postings (employer page, velocity rule, near-duplicate lookups).
            models.Index(fields=["employer", "-created_at"], name="posting_employer_idx"),
            models.Index(fields=["region_code", "status"], name="posting_region_idx"),
            models.Index(fields=["category", "status"], name="posting_category_idx"),
            models.Index(fields=["employment_type", "status"], name="posting_type_idx"),
            # The expiry job: live postings by expiry time.
            models.Index(fields=["expires_at"], name="posting_expiry_idx", condition=Q(status=PostingStatus.PUBLISHED)),
            models.Index(fields=["content_fingerprint"], name="posting_fingerprint_idx"),
            models.Index(fields=["published_at"], name="posting_published_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(wage_amount__gt=0), name="posting_wage_positive"),
            models.CheckConstraint(
                condition=Q(hours_per_week__isnull=True) | Q(hours_per_week__gte=1, hours_per_week__lte=168),
                name="posting_hours_per_week_range",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="posting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status=PostingStatus.CLOSED) | ~Q(close_reason=""),
                name="posting_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(employment_type__in=EmploymentType.values), name="posting_employment_type_valid"
            ),
            models.CheckConstraint(condition=Q(wage_type__in=WageType.values), name="posting_wage_type_valid"),
            models.CheckConstraint(condition=Q(status__in=PostingStatus.values), name="posting_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)

    @property
    def is_live(self) -> bool:
        return self.status == PostingStatus.PUBLISHED


class Application(TimestampedModel):
    # The applicant's message is personal data (see Seeker).
    AUDIT_REDACTED_FIELDS = ("message",)

    external_id = models.CharField(_("marketplace id"), max_length=64, unique=True)
    posting = models.ForeignKey(
        JobPosting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="applications"
    )
    seeker = models.ForeignKey(Seeker, verbose_name=_("seeker"), on_delete=models.PROTECT, related_name="applications")
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    # One timestamp per transition: the funnel metrics (time to first view, to hire) read them directly.
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    viewed_at = models.DateTimeField(_("viewed at"), null=True, blank=True)
    shortlisted_at = models.DateTimeField(_("shortlisted at"), null=True, blank=True)
    hired_at = models.DateTimeField(_("hired at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # When the employer was reminded of this still-unanswered application (jobs.automation): each application
    # is part of one reminder at most.
    reminded_at = models.DateTimeField(_("employer reminded at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["posting", "status"], name="application_posting_idx"),
            models.Index(fields=["seeker", "-submitted_at"], name="application_seeker_idx"),
            models.Index(fields=["status", "submitted_at"], name="application_status_idx"),
            models.Index(fields=["-submitted_at"], name="application_submitted_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["posting", "seeker"], name="application_one_per_seeker_posting"),
            models.CheckConstraint(condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}"
