"""Moderation: user reports, screening rules and their hits, the review queue (cases), decisions,
sanctions, appeals and sampled second reviews. Tables and constraints only; workflows in ``services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jobs.models import Employer, JobPosting, Seeker


class PolicyClause(models.TextChoices):
    """DOMAIN.md's policy clauses: reason templates, rules and reports speak of the same clause."""

    FALSE_AD = "P1-false-ad", _("P1 False or disguised recruitment")
    MIN_WAGE = "P2-min-wage", _("P2 Pay below the minimum wage")
    DISCRIMINATION = "P3-discrimination", _("P3 Discriminatory requirements")
    OFF_PLATFORM = "P4-off-platform", _("P4 Contact details or personal data requests")
    CRIME = "P5-crime-recruitment", _("P5 Recruiting for crime (money mules)")
    FEES = "P6-fees", _("P6 Charging applicants")
    DUPLICATE_SPAM = "P7-duplicate-spam", _("P7 Duplicates and spam")
    HARMFUL_BUSINESS = "P8-harmful-business", _("P8 Harmful businesses")
    NONE = "none", _("No violation")


class ReportReason(models.TextChoices):
    SCAM = "scam", _("Scam")
    ILLEGAL_WAGE = "illegal_wage", _("Illegal wage")
    DISCRIMINATION = "discrimination", _("Discrimination")
    INAPPROPRIATE = "inappropriate", _("Inappropriate")
    SPAM = "spam", _("Spam")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class TargetKind(models.TextChoices):
    POSTING = "posting", _("Posting")
    EMPLOYER = "employer", _("Employer")
    SEEKER = "seeker", _("Job seeker")


class ReporterKind(models.TextChoices):
    SEEKER = "seeker", _("Job seeker")
    EMPLOYER = "employer", _("Employer")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")


class Band(models.IntegerChoices):
    # Integers so the queue orders by band with an index, most urgent first.
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class DecisionAction(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REMOVE = "remove", _("Remove")
    ESCALATE = "escalate", _("Escalate")
    SANCTION = "sanction", _("Remove and sanction author")
    DISMISS = "dismiss", _("Dismiss reports")


class RemoveMode(models.TextChoices):
    HIDE = "hide", _("Hide (can be restored)")
    REJECT = "reject", _("Reject")


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    BAN = "ban", _("Ban")


class RuleKind(models.TextChoices):
    KEYWORDS = "keywords", _("Keyword list")
    REGEX = "regex", _("Regular expression")
    MIN_WAGE = "min_wage", _("Below minimum wage")
    CONTACT = "contact", _("Contact details in text")
    DISCRIMINATION = "discrimination", _("Discriminatory requirement")
    DUPLICATE = "duplicate", _("Duplicate of a recent posting")
    VELOCITY = "velocity", _("Posting velocity")


class RuleMode(models.TextChoices):
    DRY_RUN = "dry_run", _("Dry run (record only)")
    FLAG = "flag", _("Flag for review")
    AUTO_HIDE = "auto_hide", _("Hide automatically")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Original decision upheld")
    OVERTURNED = "overturned", _("Overturned")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")


def target_key(kind: str, pk: int) -> str:
    """One string per target ('posting:42'): the 'one open case per target' constraint needs one column."""
    return f"{kind}:{pk}"


class TargetMixin(models.Model):
    """A report or case is about exactly one posting, employer or seeker."""

    target_kind = models.CharField(_("target kind"), max_length=16, choices=TargetKind.choices)
    target_key = models.CharField(_("target key"), max_length=40, editable=False)
    posting = models.ForeignKey(
        JobPosting, verbose_name=_("posting"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seeker = models.ForeignKey(
        Seeker, verbose_name=_("job seeker"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def target(self) -> JobPosting | Employer | Seeker:
        return {TargetKind.POSTING: self.posting, TargetKind.EMPLOYER: self.employer, TargetKind.SEEKER: self.seeker}[
            TargetKind(self.target_kind)
        ]

    @staticmethod
    def target_constraint(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=(
                Q(target_kind=TargetKind.POSTING, posting__isnull=False, employer__isnull=True, seeker__isnull=True)
                | Q(target_kind=TargetKind.EMPLOYER, posting__isnull=True, employer__isnull=False, seeker__isnull=True)
                | Q(target_kind=TargetKind.SEEKER, posting__isnull=True, employer__isnull=True, seeker__isnull=False)
            ),
            name=name,
        )


class ReasonTemplate(models.Model):
    """The text a user is shown for a decision, in Korean and English, tied to a policy clause."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    clause = models.CharField(_("policy clause"), max_length=32, choices=PolicyClause.choices)
    action = models.CharField(_("for action"), max_length=16, choices=DecisionAction.choices)
    title = models.CharField(_("title"), max_length=120)
    text_ko = models.TextField(_("text shown to the user (Korean)"))
    text_en = models.TextField(_("text shown to the user (English)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reason template")
        verbose_name_plural = _("reason templates")
        ordering = ["action", "clause", "code"]

    def __str__(self) -> str:
        return f"{self.title} ({self.clause})"

    def public_text(self, language: str = "ko") -> str:
        return self.text_en if language.startswith("en") else self.text_ko


class Rule(models.Model):
    """An automated screening rule, editable in the admin (the evaluators live in ``moderation.rules``)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    clause = models.CharField(_("policy clause"), max_length=32, choices=PolicyClause.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=20)
    mode = models.CharField(_("mode"), max_length=16, choices=RuleMode.choices, default=RuleMode.DRY_RUN)
    enabled = models.BooleanField(_("enabled"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("screening rule")
        verbose_name_plural = _("screening rules")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(weight__lte=100), name="rule_weight_at_most_100")]

    def __str__(self) -> str:
        return self.name


class ReporterStats(models.Model):
    """How often a reporter's reports were upheld: their reports weigh more when they are usually right."""

    reporter_kind = models.CharField(_("reporter kind"), max_length=16, choices=ReporterKind.choices)
    reporter_external_id = models.CharField(_("reporter id"), max_length=64)
    reports_filed = models.PositiveIntegerField(_("reports filed"), default=0)
    reports_upheld = models.PositiveIntegerField(_("reports upheld"), default=0)
    reports_dismissed = models.PositiveIntegerField(_("reports dismissed"), default=0)

    class Meta:
        verbose_name = _("reporter accuracy")
        verbose_name_plural = _("reporter accuracy")
        constraints = [
            models.UniqueConstraint(fields=["reporter_kind", "reporter_external_id"], name="reporter_stats_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reporter_kind}:{self.reporter_external_id}"

    @property
    def accuracy(self) -> float | None:
        resolved = self.reports_upheld + self.reports_dismissed
        return None if resolved == 0 else self.reports_upheld / resolved


class Case(TargetMixin):
    """The unit of the review queue: at most one open case per target."""

    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    band = models.PositiveSmallIntegerField(_("priority"), choices=Band.choices, default=Band.LOW)
    score = models.FloatField(_("score"), default=0)
    due_at = models.DateTimeField(_("due at"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Optimistic concurrency: every change bumps the version; a decision names the version it was made on.
    version = models.PositiveIntegerField(_("version"), default=1)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_cases",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_expires_at = models.DateTimeField(_("claim expires at"), null=True, blank=True)
    # An appeal must be decided by someone else than the moderator whose decision is appealed.
    excluded_moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("not to be decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_appeal = models.BooleanField(_("appeal"), default=False)
    auto_hidden = models.BooleanField(_("hidden automatically"), default=False)
    # Denormalised from the target and the signals, so queue filters are index lookups, not joins.
    primary_reason = models.CharField(_("main reason"), max_length=32, choices=ReportReason.choices, blank=True)
    region_code = models.CharField(_("region"), max_length=10, blank=True)
    category = models.CharField(_("category"), max_length=32, blank=True)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    reporter_count = models.PositiveIntegerField(_("reporters"), default=0)
    hit_count = models.PositiveIntegerField(_("rule hits"), default=0)
    last_decision_action = models.CharField(
        _("last decision"), max_length=16, choices=DecisionAction.choices, blank=True
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("review queue")
        permissions = [
            ("decide_case", _("Can claim and decide moderation cases")),
            ("takeover_case", _("Can take over a case claimed by someone else")),
            ("handle_escalated_case", _("Can decide escalated cases")),
            ("ban_account", _("Can ban accounts")),
            ("undo_decision", _("Can undo a recent decision")),
        ]
        indexes = [
            # The queue: unresolved cases by band (desc) then age. Partial (resolved history never enters it)
            # and covering: the queue filters' bounded counts are answered from the index alone, instead of
            # scanning a million resolved rows to find the open ones (bench/queue_page.py, --resolved).
            models.Index(
                fields=["-band", "opened_at", "id"],
                name="case_queue_idx",
                condition=~Q(status=CaseStatus.RESOLVED),
                include=[
                    "status",
                    "claimed_by",
                    "claim_expires_at",
                    "due_at",
                    "region_code",
                    "category",
                    "primary_reason",
                    "is_appeal",
                    "auto_hidden",
                ],
            ),
            models.Index(fields=["status", "due_at"], name="case_sla_idx"),
            models.Index(fields=["claimed_by", "status"], name="case_claimed_idx"),
            models.Index(
                fields=["claim_expires_at"], name="case_claim_expiry_idx", condition=Q(claimed_by__isnull=False)
            ),
            models.Index(fields=["target_key", "-opened_at"], name="case_target_idx"),
            models.Index(fields=["primary_reason", "status"], name="case_reason_idx"),
            models.Index(fields=["region_code", "status"], name="case_region_idx"),
            models.Index(fields=["category", "status"], name="case_category_idx"),
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
        ]
        constraints = [
            TargetMixin.target_constraint("case_exactly_one_target"),
            models.UniqueConstraint(
                fields=["target_key"], condition=~Q(status=CaseStatus.RESOLVED), name="case_one_open_per_target"
            ),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True) | Q(claim_expires_at__isnull=False), name="case_claim_expires"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_target_kind_display()} {self.target}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.RESOLVED

    def claim_is_live(self, now: timezone.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.claimed_by_id is not None and self.claim_expires_at is not None and self.claim_expires_at > now

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class Report(TargetMixin):
    """A user's report on a posting, employer or seeker."""

    AUDIT_REDACTED_FIELDS = ("text",)

    external_id = models.CharField(_("marketplace id"), max_length=64, unique=True)
    reporter_kind = models.CharField(_("reporter kind"), max_length=16, choices=ReporterKind.choices)
    reporter_external_id = models.CharField(_("reporter id"), max_length=64)
    reason = models.CharField(_("reason"), max_length=32, choices=ReportReason.choices)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reports")
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user report")
        verbose_name_plural = _("user reports")
        indexes = [
            models.Index(fields=["case", "filed_at"], name="report_case_idx"),
            models.Index(fields=["reporter_kind", "reporter_external_id"], name="report_reporter_idx"),
            models.Index(fields=["target_key", "reporter_kind", "reporter_external_id"], name="report_target_idx"),
            models.Index(fields=["reason", "-filed_at"], name="report_reason_idx"),
        ]
        constraints = [TargetMixin.target_constraint("report_exactly_one_target")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.external_id}"


class RuleHit(models.Model):
    """A screening rule that fired on a posting, with the evidence a moderator needs to see why."""

    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="hits")
    posting = models.ForeignKey(
        JobPosting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="rule_hits"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="hits"
    )
    weight = models.PositiveSmallIntegerField(_("weight"))
    mode = models.CharField(_("mode"), max_length=16, choices=RuleMode.choices)
    # {"spans": [{"field": "description", "start": 10, "end": 23, "text": "010-1234-5678"}], "numbers": {...},
    #  "summary": "..."} — spans index the original text, so the admin highlights exactly what matched.
    evidence = models.JSONField(_("evidence"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set when a person decides the case: was the rule right? (feeds rule precision)
    confirmed = models.BooleanField(_("confirmed by a person"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule hit")
        verbose_name_plural = _("rule hits")
        indexes = [
            models.Index(fields=["case", "created_at"], name="rulehit_case_idx"),
            models.Index(fields=["posting", "rule"], name="rulehit_posting_idx"),
            models.Index(fields=["rule", "-created_at"], name="rulehit_rule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on {self.posting_id}"


class Sanction(models.Model):
    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=ReporterKind.choices)
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), null=True, blank=True, on_delete=models.PROTECT, related_name="sanctions"
    )
    seeker = models.ForeignKey(
        Seeker, verbose_name=_("job seeker"), null=True, blank=True, on_delete=models.PROTECT, related_name="sanctions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SanctionKind.choices)
    strike = models.PositiveSmallIntegerField(_("strike number"))
    until = models.DateTimeField(_("until"), null=True, blank=True)
    clause = models.CharField(_("policy clause"), max_length=32, choices=PolicyClause.choices)
    decision = models.ForeignKey(
        "Decision", verbose_name=_("decision"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        indexes = [
            models.Index(fields=["employer", "-created_at"], name="sanction_employer_idx"),
            models.Index(fields=["seeker", "-created_at"], name="sanction_seeker_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_kind="employer", employer__isnull=False, seeker__isnull=True))
                | Q(subject_kind="seeker", employer__isnull=True, seeker__isnull=False),
                name="sanction_exactly_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(kind=SanctionKind.SUSPENSION) | Q(until__isnull=False), name="sanction_suspension_has_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.strike}"


class Decision(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("action"), max_length=16, choices=DecisionAction.choices)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moderation_decisions",
        help_text=_("Empty when the system decided (auto-hide)."),
    )
    reason_template = models.ForeignKey(
        ReasonTemplate, verbose_name=_("reason"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clause = models.CharField(_("policy clause"), max_length=32, choices=PolicyClause.choices, blank=True)
    note = models.TextField(_("private note"), blank=True)
    remove_mode = models.CharField(_("removal"), max_length=16, choices=RemoveMode.choices, blank=True)
    posting_status_before = models.CharField(_("posting status before"), max_length=16, blank=True)
    posting_status_after = models.CharField(_("posting status after"), max_length=16, blank=True)
    case_version = models.PositiveIntegerField(_("case version decided on"))
    created_at = models.DateTimeField(_("decided at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="decision_case_idx"),
            models.Index(fields=["moderator", "-created_at"], name="decision_moderator_idx"),
            models.Index(fields=["action", "-created_at"], name="decision_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on case #{self.case_id}"

    @property
    def decided_by_system(self) -> bool:
        return self.moderator_id is None


class Appeal(models.Model):
    decision = models.ForeignKey(Decision, verbose_name=_("decision"), on_delete=models.PROTECT, related_name="appeals")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="appeals")
    text = models.TextField(_("appeal text"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.ForeignKey(
        Decision, verbose_name=_("resolution"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(
                fields=["decision"], condition=Q(status=AppealStatus.PENDING), name="appeal_one_pending_per_decision"
            )
        ]

    def __str__(self) -> str:
        return f"Appeal of {self.decision}"


class SecondReview(models.Model):
    """Four-eyes check: a sampled approval re-examined by a different moderator."""

    decision = models.OneToOneField(
        Decision, verbose_name=_("decision"), on_delete=models.PROTECT, related_name="second_review"
    )
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="second_reviews",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("second review")
        verbose_name_plural = _("second reviews")
        indexes = [models.Index(fields=["status", "created_at"], name="review_pending_idx")]

    def __str__(self) -> str:
        return f"Second review of {self.decision}"


class CaseEvent(models.Model):
    """The case's timeline as staff read it (opened, report added, claimed, decided, appealed …).

    The audit log is the legal record across the product; this is the per-case view, cheap to render."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150)
    message = models.CharField(pgettext_lazy("case timeline", "message"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case timeline")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="caseevent_case_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
