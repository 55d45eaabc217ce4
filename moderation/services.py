"""Moderation writes. Every entry point (admin page, bulk action, GraphQL, automation) calls these.

Order in each: lock the case → check (state, version, claim, permission) → change → audit → outbox → after
commit. A decision names the case version it was made on; a stale one is refused, so two moderators acting
at once produce one decision and one clear message, never two decisions.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.audit import Actor, audit_record, snapshot
from backoffice.events.outbox import outbox_emit
from backoffice.models import NotificationKind
from backoffice.notifications import notify, staff_with_permission
from jobs import services as jobs_services
from jobs.models import AccountStatus, Employer, JobPosting, PostingStatus, Seeker
from moderation import policies, selectors
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    PolicyClause,
    ReasonTemplate,
    RemoveMode,
    Report,
    ReporterKind,
    ReporterStats,
    ReportStatus,
    ReviewStatus,
    Rule,
    RuleHit,
    RuleMode,
    Sanction,
    SanctionKind,
    SecondReview,
    TargetKind,
    target_key,
)

Target = JobPosting | Employer | Seeker


class ModerationError(ValidationError):
    """A refusal the moderator must read: the message says what happened and what to do."""


class StaleCaseError(ModerationError):
    pass


class ClaimConflictError(ModerationError):
    pass


def _config() -> dict[str, Any]:
    return settings.MODERATION


def _actor(user: AbstractBaseUser | None) -> Actor:
    return Actor.staff(user) if user is not None else Actor.system("moderation")


def _require(user: AbstractBaseUser | None, permission: str, message: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(message)


def _kind_of(target: Target) -> TargetKind:
    if isinstance(target, JobPosting):
        return TargetKind.POSTING
    if isinstance(target, Employer):
        return TargetKind.EMPLOYER
    return TargetKind.SEEKER


def _event(case: Case, kind: str, actor: Actor, message: str) -> None:
    CaseEvent.objects.create(
        case=case, kind=kind, actor=actor.user, actor_label=actor.label or actor.kind, message=message[:300]
    )


def _bump(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=["version", *fields])
    case.refresh_from_db(fields=["version"])
    transaction.on_commit(selectors.forget_backlog_count)


def _open_case_for(target: Target, *, primary_reason: str = "") -> tuple[Case, bool]:
    """The target's unresolved case, locked; a new one when there is none (one open case per target)."""
    kind = _kind_of(target)
    key = target_key(kind, target.pk)
    existing = Case.objects.select_for_update().filter(target_key=key).exclude(status=CaseStatus.RESOLVED).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    case = Case(
        target_kind=kind,
        target_key=key,
        primary_reason=primary_reason,
        opened_at=now,
        due_at=policies.due_at(now, policies.Band.LOW, _config()["SLA_HOURS"]),
        region_code=getattr(target, "region_code", ""),
        category=getattr(target, "category", ""),
        **{kind.value: target},
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another transaction opened it first: use theirs.
        return Case.objects.select_for_update().get(
            target_key=key, status__in=[CaseStatus.OPEN, CaseStatus.ESCALATED]
        ), False
    return case, True


def _rescore(case: Case, signals: policies.CaseSignals | None = None) -> policies.Score:
    """Score, band and due time from the case's signals (read now unless a batch read them already)."""
    signals = signals or selectors.case_signals(case)
    score = policies.score_case(signals)
    band = policies.band_for(score.total, _config()["BAND_THRESHOLDS"])
    case.score = score.total
    case.band = band
    start = case.escalated_at or case.opened_at
    case.due_at = policies.due_at(start, band, _config()["SLA_HOURS"])
    return score


def _maybe_auto_hide(case: Case, *, force: bool = False, reason: str = "") -> bool:
    """Hide a posting at once when its case is alarming enough; the case stays open for a person."""
    if case.target_kind != TargetKind.POSTING or case.auto_hidden:
        return False
    if not force and case.score < _config()["AUTO_HIDE_SCORE"]:
        return False
    posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
    if posting.status not in (PostingStatus.PUBLISHED, PostingStatus.PENDING_REVIEW):
        return False
    actor = Actor.system("auto-hide")
    before = posting.status
    jobs_services.posting_change_status(
        actor=actor, posting=posting, status=PostingStatus.HIDDEN, note=reason or f"score {case.score:.0f}"
    )
    decision = Decision.objects.create(
        case=case,
        action=DecisionAction.REMOVE,
        moderator=None,
        remove_mode=RemoveMode.HIDE,
        note=reason or f"Auto-hidden at score {case.score:.0f}",
        posting_status_before=before,
        posting_status_after=PostingStatus.HIDDEN,
        case_version=case.version,
    )
    case.auto_hidden = True
    outbox_emit(
        type="posting.moderated",
        payload={
            "posting_id": posting.external_id,
            "status": PostingStatus.HIDDEN,
            "reason_code": "auto_hide",
            "decided_by": "system",
            "case_id": str(case.pk),
        },
    )
    audit_record(
        actor=actor,
        action="case.auto_hidden",
        target=case,
        metadata={"decision": decision.pk, "score": case.score, "posting": posting.pk},
        note=reason,
    )
    _event(case, "auto_hidden", actor, f"Posting hidden automatically ({reason or f'score {case.score:.0f}'})")
    return True


# --- intake ---------------------------------------------------------------------------------------------
@transaction.atomic
def report_file(
    *,
    actor: Actor,
    external_id: str,
    reporter_kind: str,
    reporter_external_id: str,
    target: Target,
    reason: str,
    text: str = "",
    filed_at: dt.datetime | None = None,
) -> Report:
    """Record a user's report and put its target in the queue. Replaying the same report is harmless."""
    existing = Report.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    case, created = _open_case_for(target, primary_reason=reason)
    already_reported = Report.objects.filter(
        case=case, reporter_kind=reporter_kind, reporter_external_id=reporter_external_id
    ).exists()
    kind = _kind_of(target)
    report = Report(
        external_id=external_id,
        reporter_kind=reporter_kind,
        reporter_external_id=reporter_external_id,
        reason=reason,
        text=text,
        case=case,
        target_kind=kind,
        target_key=case.target_key,
        filed_at=filed_at or timezone.now(),
        **{kind.value: target},
    )
    report.full_clean(exclude=["case", "posting", "employer", "seeker"], validate_unique=False)
    report.save()
    stats, _created = ReporterStats.objects.get_or_create(
        reporter_kind=reporter_kind, reporter_external_id=reporter_external_id
    )
    ReporterStats.objects.filter(pk=stats.pk).update(reports_filed=F("reports_filed") + 1)
    case.report_count += 1
    if not already_reported:
        case.reporter_count += 1
    if not case.primary_reason:
        case.primary_reason = reason
    _rescore(case)
    _maybe_auto_hide(case)
    _bump(case, "report_count", "reporter_count", "primary_reason", "score", "band", "due_at", "auto_hidden")
    audit_record(actor=actor, action="report.filed", target=report, metadata={"case": case.pk, "reason": reason})
    _event(
        case,
        "opened" if created else "report_added",
        actor,
        f"Report {external_id}: {report.get_reason_display()}" + (" (same reporter again)" if already_reported else ""),
    )
    return report


@dataclass(frozen=True)
class HitInput:
    rule: Rule
    evidence: dict[str, Any]


@transaction.atomic
def hits_record(*, posting: JobPosting, hits: Sequence[HitInput], actor: Actor | None = None) -> Case | None:
    """Record rule hits on a posting. Dry-run hits are only recorded; flag/auto-hide hits open or update the
    posting's case, and an auto-hide rule hides the posting at once (a person then confirms or restores)."""
    actor = actor or Actor.system("screening")
    live = [h for h in hits if h.rule.mode != RuleMode.DRY_RUN]
    for hit in hits:
        if hit.rule.mode == RuleMode.DRY_RUN:
            RuleHit.objects.create(
                rule=hit.rule, posting=posting, weight=hit.rule.weight, mode=hit.rule.mode, evidence=hit.evidence
            )
    if not live:
        return None
    case, created = _open_case_for(posting)
    for hit in live:
        RuleHit.objects.create(
            rule=hit.rule, posting=posting, case=case, weight=hit.rule.weight, mode=hit.rule.mode, evidence=hit.evidence
        )
    case.hit_count += len(live)
    _rescore(case)
    auto_rules = [h.rule.name for h in live if h.rule.mode == RuleMode.AUTO_HIDE]
    _maybe_auto_hide(case, force=bool(auto_rules), reason=", ".join(auto_rules))
    _bump(case, "hit_count", "score", "band", "due_at", "auto_hidden")
    audit_record(actor=actor, action="case.rule_hits", target=case, metadata={"rules": [h.rule.name for h in live]})
    _event(case, "opened" if created else "hits_added", actor, "Rules fired: " + ", ".join(h.rule.name for h in live))
    return case


# --- claims ---------------------------------------------------------------------------------------------
def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _already_decided(case: Case) -> str:
    last = (
        case.decisions.filter(undone_at__isnull=True).select_related("moderator").order_by("-created_at", "-id").first()
    )
    if last is None:
        return _("This case is already resolved.")
    return _("This case was already decided: %(action)s by %(who)s at %(time)s. Nothing was applied.") % {
        "action": last.get_action_display(),
        "who": last.moderator.get_username() if last.moderator else "system",
        "time": timezone.localtime(last.created_at).strftime("%H:%M:%S"),
    }


def _check_can_work_on(user: AbstractBaseUser, case: Case) -> None:
    _require(user, "moderation.decide_case", _("You do not have permission to work on moderation cases."))
    if case.status == CaseStatus.RESOLVED:
        raise ModerationError(_already_decided(case))
    if case.status == CaseStatus.ESCALATED:
        _require(user, "moderation.handle_escalated_case", _("Escalated cases are for senior moderators."))
    if case.excluded_moderator_id is not None and case.excluded_moderator_id == user.pk:
        raise PermissionDenied(_("This is an appeal of your own decision: another moderator must decide it."))


@transaction.atomic
def case_claim(*, user: AbstractBaseUser, case: Case, now: dt.datetime | None = None) -> Case:
    """Claim a case for a while. A live claim by someone else is refused, except to senior moderators, who
    take it over (audited)."""
    now = now or timezone.now()
    locked = _lock(case)
    _check_can_work_on(user, locked)
    taken_from = None
    if locked.claim_is_live(now) and locked.claimed_by_id != user.pk:
        if not user.has_perm("moderation.takeover_case"):
            raise ClaimConflictError(
                _("%(name)s is working on this case (claim until %(until)s).")
                % {
                    "name": locked.claimed_by.get_username(),
                    "until": timezone.localtime(locked.claim_expires_at).strftime("%H:%M"),
                }
            )
        taken_from = locked.claimed_by.get_username()
    locked.claimed_by = user
    locked.claimed_at = now
    locked.claim_expires_at = now + dt.timedelta(minutes=_config()["CLAIM_MINUTES"])
    _bump(locked, "claimed_by", "claimed_at", "claim_expires_at")
    actor = Actor.staff(user)
    audit_record(
        actor=actor,
        action="case.claim_taken_over" if taken_from else "case.claimed",
        target=locked,
        metadata={"from": taken_from} if taken_from else None,
    )
    _event(locked, "claimed", actor, f"Taken over from {taken_from}" if taken_from else "Claimed")
    return locked


@transaction.atomic
def case_release(*, user: AbstractBaseUser, case: Case) -> Case:
    locked = _lock(case)
    if locked.claimed_by_id is None:
        return locked
    if locked.claimed_by_id != user.pk:
        _require(
            user,
            "moderation.takeover_case",
            _("Only the moderator holding the claim, or a senior moderator, can release it."),
        )
    locked.claimed_by = None
    locked.claimed_at = None
    locked.claim_expires_at = None
    _bump(locked, "claimed_by", "claimed_at", "claim_expires_at")
    audit_record(actor=Actor.staff(user), action="case.released", target=locked)
    _event(locked, "released", Actor.staff(user), "Claim released")
    return locked


def claims_release_expired(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Release claims whose time ran out (periodic job, every minute). Each case re-checked under its lock; at
    most ``limit`` per run (bounded memory; the next run takes the rest)."""
    now = now or timezone.now()
    released = 0
    due = Case.objects.filter(claimed_by__isnull=False, claim_expires_at__lte=now).order_by("pk")
    for case_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.claimed_by_id is None or case.claim_expires_at is None or case.claim_expires_at > now:
                continue
            holder = case.claimed_by.get_username()
            case.claimed_by = None
            case.claimed_at = None
            case.claim_expires_at = None
            _bump(case, "claimed_by", "claimed_at", "claim_expires_at")
            actor = Actor.system("claim-expiry")
            audit_record(actor=actor, action="case.claim_expired", target=case, metadata={"holder": holder})
            _event(case, "claim_expired", actor, f"Claim by {holder} expired")
            released += 1
    return released


# --- SLA ------------------------------------------------------------------------------------------------
SLA_ACTOR = "sla"
SLA_BATCH_SIZE = 200


@transaction.atomic
def cases_escalate_overdue(*, now: dt.datetime | None = None, batch_size: int = SLA_BATCH_SIZE) -> list[Case]:
    """Escalate open cases past their due time to the senior moderators, and tell them (the SLA job).

    One transaction per batch, so a case is escalated if and only if its notification exists: a rolled back
    or killed run leaves both undone for the next run, and a case already escalated is no longer OPEN, so a
    rerun never notifies twice. The cases are locked with SKIP LOCKED (a case someone is deciding right now
    is left to the next run) and re-checked under their lock.

    A case under a live claim is skipped: a moderator is deciding it, and escalating would make their decision
    stale (and, for a moderator, forbidden). If it is still open when the claim lapses, the next run takes it.

    As with a moderator's escalation, the SLA clock restarts at ``escalated_at`` (``_rescore``): the seniors get
    the band's time to decide. The audit row keeps the breached due time (for the digest and reports); no
    Decision is written, because nobody judged the case: it only moves to the senior queue."""
    now = now or timezone.now()
    live_claim = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    cases = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("posting", "employer", "seeker")
        .filter(status=CaseStatus.OPEN, due_at__lte=now)
        .exclude(live_claim)
        .order_by("due_at", "id")[:batch_size]
    )
    # Row locks re-evaluate the filter on the locked row version; checked again here so the rule is explicit.
    cases = [
        case for case in cases if case.status == CaseStatus.OPEN and case.due_at <= now and not case.claim_is_live(now)
    ]
    if not cases:
        return []
    signals = selectors.case_signals_many(cases)
    actor = Actor.system(SLA_ACTOR)
    breached: list[tuple[Case, dt.datetime]] = []
    for case in cases:
        due_before = case.due_at
        case.status = CaseStatus.ESCALATED
        case.escalated_at = now
        _rescore(case, signals[case.pk])
        _bump(case, "status", "escalated_at", "score", "band", "due_at")
        audit_record(
            actor=actor,
            action="case.sla_escalated",
            target=case,
            before={"status": CaseStatus.OPEN, "due_at": due_before},
            after={"status": CaseStatus.ESCALATED, "due_at": case.due_at},
            metadata={"breached_due_at": due_before.isoformat(), "band": case.band},
        )
        local_due = timezone.localtime(due_before).strftime("%m-%d %H:%M")
        _event(case, "sla_escalated", actor, f"Not decided by {local_due} (SLA): escalated to senior moderators")
        breached.append((case, due_before))
    _notify_sla_breaches(breached)
    return [case for case, _due in breached]


def _notify_sla_breaches(breached: Sequence[tuple[Case, dt.datetime]]) -> None:
    """One notification (and e-mail) per batch to everyone who handles escalated cases, listing each case once:
    one mail per run however large a backlog breaches at once (e.g. after a weekend), not one per case."""
    # Workers have no request language: staff read the product's default language (Korean).
    with translation.override(settings.LANGUAGE_CODE):
        count = len(breached)
        lines = [_("Not decided within the SLA; now in the escalated queue for senior moderators:"), ""]
        for case, due_before in breached:
            lines.append(
                f"#{case.pk} [{case.get_band_display()}] {case.get_target_kind_display()} {_sla_subject(case)} — "
                + _("due %(time)s") % {"time": timezone.localtime(due_before).strftime("%Y-%m-%d %H:%M")}
            )
        if count == 1:
            case = breached[0][0]
            title = _("Case #%(id)s is past its SLA and was escalated") % {"id": case.pk}
            url = reverse("admin:moderation_case_change", args=[case.pk])
            # The escalation's version is in the key: a case appealed and breached again is announced again.
            dedup_key = f"sla:{case.pk}:{case.version}"
        else:
            title = ngettext(
                "%(count)d case is past its SLA and was escalated",
                "%(count)d cases are past their SLA and were escalated",
                count,
            ) % {"count": count}
            url = reverse("admin:moderation_case_changelist") + "?queue=escalated"
            first, last = breached[0][0], breached[-1][0]
            dedup_key = f"sla:{first.pk}:{first.version}+{count - 1}:{last.pk}"
        notify(
            recipients=staff_with_permission("moderation.handle_escalated_case"),
            kind=NotificationKind.SLA_BREACH,
            title=title,
            body="\n".join(lines),
            url=url,
            dedup_key=dedup_key,
            email=True,
        )


def _sla_subject(case: Case) -> str:
    """What the case is about, for staff e-mail: a posting's title or a business name; never a seeker's
    personal data (only the marketplace id)."""
    if case.target_kind == TargetKind.POSTING and case.posting is not None:
        return f"«{case.posting.title[:60]}»"
    if case.target_kind == TargetKind.EMPLOYER and case.employer is not None:
        return case.employer.business_name[:60]
    return case.seeker.external_id if case.seeker is not None else ""


# --- decisions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionRequest:
    action: str
    expected_version: int
    reason_template: ReasonTemplate | None = None
    note: str = ""
    remove_mode: str = RemoveMode.HIDE
    sanction_kind: str | None = None
    sanction_days: int | None = None


_TEMPLATE_ACTIONS = {
    DecisionAction.APPROVE: {DecisionAction.APPROVE, DecisionAction.DISMISS},
    DecisionAction.DISMISS: {DecisionAction.DISMISS, DecisionAction.APPROVE},
    DecisionAction.REMOVE: {DecisionAction.REMOVE, DecisionAction.SANCTION},
    DecisionAction.SANCTION: {DecisionAction.SANCTION, DecisionAction.REMOVE},
}


def _validate_request(user: AbstractBaseUser | None, case: Case, request: DecisionRequest) -> None:
    if request.action not in DecisionAction.values:
        raise ModerationError(_("Unknown action."))
    if request.action == DecisionAction.ESCALATE:
        if not request.note.strip():
            raise ModerationError(_("Say in the note why the case needs a senior moderator."))
        if case.status == CaseStatus.ESCALATED:
            raise ModerationError(_("This case is already escalated."))
        return
    template = request.reason_template
    if template is None:
        raise ModerationError(_("Choose a reason template: it is the text the user is shown."))
    if not template.active or template.action not in _TEMPLATE_ACTIONS[DecisionAction(request.action)]:
        raise ModerationError(_("This reason template does not fit the chosen action."))
    if request.action == DecisionAction.REMOVE and case.target_kind != TargetKind.POSTING:
        raise ModerationError(_("Accounts are not removed: sanction the account instead."))
    if request.action == DecisionAction.REMOVE and request.remove_mode not in RemoveMode.values:
        raise ModerationError(_("Choose hide or reject."))
    if request.sanction_kind is not None and request.sanction_kind not in SanctionKind.values:
        raise ModerationError(_("Unknown sanction."))


def _subject_of(case: Case) -> Employer | Seeker | None:
    if case.target_kind == TargetKind.SEEKER:
        return case.seeker
    return selectors.employer_of(case)


def _apply_sanction(
    *, user: AbstractBaseUser | None, case: Case, decision: Decision, request: DecisionRequest, clause: str
) -> Sanction:
    subject = _subject_of(case)
    if subject is None:
        raise ModerationError(_("This case has no author to sanction."))
    is_employer = isinstance(subject, Employer)
    prior = selectors.strike_count(employer=subject) if is_employer else selectors.strike_count(seeker=subject)
    requested = SanctionKind(request.sanction_kind) if request.sanction_kind else None
    plan = policies.plan_sanction(prior_strikes=prior, requested=requested, requested_days=request.sanction_days)
    if plan.kind == SanctionKind.BAN:
        _require(
            user,
            "moderation.ban_account",
            _("This would ban the account (strike %(strike)d): escalate the case to a senior moderator.")
            % {"strike": plan.strike},
        )
    now = timezone.now()
    until = plan.until(now)
    sanction = Sanction.objects.create(
        subject_kind=ReporterKind.EMPLOYER if is_employer else ReporterKind.SEEKER,
        employer=subject if is_employer else None,
        seeker=None if is_employer else subject,
        kind=plan.kind,
        strike=plan.strike,
        until=until,
        clause=clause,
        decision=decision,
    )
    actor = _actor(user)
    if plan.kind != SanctionKind.WARNING:
        status = AccountStatus.BANNED if plan.kind == SanctionKind.BAN else AccountStatus.SUSPENDED
        note = f"Strike {plan.strike}, case #{case.pk}"
        if is_employer:
            jobs_services.employer_set_account_status(
                actor=actor, employer=subject, status=status, until=until, note=note
            )
        else:
            jobs_services.seeker_set_account_status(actor=actor, seeker=subject, status=status, until=until, note=note)
    payload: dict[str, Any] = {
        "subject": {"kind": sanction.subject_kind, "id": subject.external_id},
        "sanction": plan.kind,
    }
    if until is not None:
        payload["until"] = until.isoformat()
    outbox_emit(type="sanction.applied", payload=payload)
    audit_record(
        actor=actor, action="sanction.applied", target=sanction, metadata={"case": case.pk, "strike": plan.strike}
    )
    return sanction


def _set_posting_status(case: Case, status: str, actor: Actor, note: str) -> tuple[str, str]:
    posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
    before = posting.status
    if before != status:
        jobs_services.posting_change_status(actor=actor, posting=posting, status=status, note=note)
    return before, status


def _resolve_reports(case: Case, *, upheld: bool, now: dt.datetime) -> list[Report]:
    reports = list(Report.objects.select_for_update().filter(case=case, status=ReportStatus.OPEN))
    outcome = ReportStatus.UPHELD if upheld else ReportStatus.DISMISSED
    counter = "reports_upheld" if upheld else "reports_dismissed"
    for report in reports:
        report.status = outcome
        report.resolved_at = now
        report.save(update_fields=["status", "resolved_at"])
        ReporterStats.objects.filter(
            reporter_kind=report.reporter_kind, reporter_external_id=report.reporter_external_id
        ).update(**{counter: F(counter) + 1})
        outbox_emit(
            type="report.resolved",
            payload={"report_id": report.external_id, "outcome": "actioned" if upheld else "dismissed"},
        )
    return reports


@transaction.atomic
def case_decide(
    *, user: AbstractBaseUser | None, case: Case, request: DecisionRequest, draw: float | None = None
) -> Decision:
    """Decide a case: approve, remove, escalate, sanction the author, or dismiss the reports.

    ``user`` None means the system decides. The decision is refused when the case changed since the
    moderator saw it (``expected_version``), when someone else holds a live claim, or when the user's role
    does not allow it; otherwise it is applied once, audited and announced through the outbox.
    """
    locked = _lock(case)
    if user is not None:
        _check_can_work_on(user, locked)
    elif locked.status == CaseStatus.RESOLVED:
        raise ModerationError(_already_decided(locked))
    if locked.version != request.expected_version:
        last = locked.events.order_by("-created_at", "-id").first()
        raise StaleCaseError(
            _("The case changed while you were looking at it (%(what)s). Nothing was applied: reload and decide again.")
            % {"what": f"{last.actor_label}: {last.message}" if last else _("new activity")}
        )
    now = timezone.now()
    if user is not None and locked.claim_is_live(now) and locked.claimed_by_id != user.pk:
        raise ClaimConflictError(
            _("%(name)s holds the claim on this case; ask them or a senior moderator.")
            % {"name": locked.claimed_by.get_username()}
        )
    _validate_request(user, locked, request)
    action = DecisionAction(request.action)
    actor = _actor(user)
    template = request.reason_template
    clause = template.clause if template else ""

    decision = Decision.objects.create(
        case=locked,
        action=action,
        moderator=user,
        reason_template=template,
        clause=clause,
        note=request.note,
        remove_mode=request.remove_mode if action in (DecisionAction.REMOVE, DecisionAction.SANCTION) else "",
        case_version=locked.version,
        created_at=now,
    )
    note = f"Case #{locked.pk}: {action.label}"
    posting_before = posting_after = ""
    if locked.target_kind == TargetKind.POSTING:
        if action in (DecisionAction.REMOVE, DecisionAction.SANCTION):
            status = PostingStatus.REJECTED if request.remove_mode == RemoveMode.REJECT else PostingStatus.HIDDEN
            posting_before, posting_after = _set_posting_status(locked, status, actor, note)
        elif action == DecisionAction.APPROVE or (action == DecisionAction.DISMISS and locked.auto_hidden):
            posting = locked.posting
            if posting is not None and posting.status in (
                PostingStatus.PENDING_REVIEW,
                PostingStatus.HIDDEN,
                PostingStatus.REJECTED,
            ):
                posting_before, posting_after = _set_posting_status(locked, PostingStatus.PUBLISHED, actor, note)
    if action == DecisionAction.SANCTION:
        _apply_sanction(user=user, case=locked, decision=decision, request=request, clause=clause)
    decision.posting_status_before = posting_before
    decision.posting_status_after = posting_after
    decision.save(update_fields=["posting_status_before", "posting_status_after"])
    if posting_before != posting_after and locked.posting is not None:
        outbox_emit(
            type="posting.moderated",
            payload={
                "posting_id": locked.posting.external_id,
                "status": posting_after,
                "reason_code": clause or PolicyClause.NONE,
                "decided_by": "staff" if user is not None else "system",
                "case_id": str(locked.pk),
            },
        )

    fields = ["status", "claimed_by", "claimed_at", "claim_expires_at", "last_decision_action"]
    locked.last_decision_action = action
    locked.claimed_by = None
    locked.claimed_at = None
    locked.claim_expires_at = None
    if action == DecisionAction.ESCALATE:
        locked.status = CaseStatus.ESCALATED
        locked.escalated_at = now
        _rescore(locked)
        fields += ["escalated_at", "score", "band", "due_at"]
    else:
        upheld = action in policies.UPHOLDING_ACTIONS
        locked.status = CaseStatus.RESOLVED
        locked.resolved_at = now
        fields += ["resolved_at"]
        _resolve_reports(locked, upheld=upheld, now=now)
        RuleHit.objects.filter(case=locked).update(confirmed=upheld)
        for appeal in Appeal.objects.select_for_update().filter(case=locked, status=AppealStatus.PENDING):
            overturned = policies.appeal_overturns(appeal.decision.action, action)
            appeal.status = AppealStatus.OVERTURNED if overturned else AppealStatus.UPHELD
            appeal.resolved_at = now
            appeal.resolution = decision
            appeal.save(update_fields=["status", "resolved_at", "resolution"])
        share = _config()["SECOND_REVIEW_SHARE"]
        if user is not None and policies.should_sample_for_second_review(
            action=action, share=share, draw=random.random() if draw is None else draw
        ):
            SecondReview.objects.create(decision=decision)
    _bump(locked, *fields)
    audit_record(
        actor=actor,
        action="case.decided",
        target=locked,
        before={"posting_status": posting_before} if posting_before else None,
        after={"posting_status": posting_after} if posting_after else None,
        note=request.note,
        metadata={
            "decision": decision.pk,
            "action": action,
            "reason_template": template.code if template else None,
            "clause": clause,
            "case_version": request.expected_version,
        },
    )
    _event(
        locked,
        "decided",
        actor,
        f"{action.label}"
        + (f" — {template.title}" if template else "")
        + (f" — {request.note}" if request.note else ""),
    )
    return decision


@transaction.atomic
def decision_undo(*, user: AbstractBaseUser, decision: Decision, note: str = "") -> Decision:
    """Undo a mistaken decision within the undo window: the posting, sanction, reports and case go back to
    how they were, and the undo is audited and announced like any decision."""
    case = _lock(decision.case)
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.undone_at is not None:
        raise ModerationError(_("This decision was already undone."))
    if decision.moderator_id is None:
        raise ModerationError(_("Automatic decisions are reversed by deciding the case, not by undo."))
    if decision.moderator_id != user.pk:
        _require(user, "moderation.undo_decision", _("Only the moderator who decided, or a senior, can undo it."))
    window = dt.timedelta(minutes=_config()["UNDO_MINUTES"])
    now = timezone.now()
    if now - decision.created_at > window:
        raise ModerationError(_("The undo window has passed; file a correction as a new decision or an appeal."))
    latest = case.decisions.filter(undone_at__isnull=True).order_by("-created_at", "-id").first()
    if latest is None or latest.pk != decision.pk:
        raise ModerationError(_("Only the latest decision on a case can be undone."))
    if Case.objects.filter(target_key=case.target_key).exclude(pk=case.pk).exclude(status=CaseStatus.RESOLVED).exists():
        raise ModerationError(_("A newer case is open for this target; decide that one instead."))
    actor = Actor.staff(user)
    if decision.posting_status_before and decision.posting_status_after and case.posting_id:
        posting = JobPosting.objects.select_for_update().get(pk=case.posting_id)
        if posting.status == decision.posting_status_after:
            jobs_services.posting_change_status(
                actor=actor,
                posting=posting,
                status=decision.posting_status_before,
                note=f"Undo of decision {decision.pk}",
            )
            outbox_emit(
                type="posting.moderated",
                payload={
                    "posting_id": posting.external_id,
                    "status": decision.posting_status_before,
                    "reason_code": "undo",
                    "decided_by": "staff",
                    "case_id": str(case.pk),
                },
            )
    for sanction in Sanction.objects.select_for_update().filter(decision=decision, revoked_at__isnull=True):
        sanction.revoked_at = now
        sanction.save(update_fields=["revoked_at"])
        subject = sanction.employer or sanction.seeker
        still_sanctioned = (
            selectors.active_sanctions(employer=sanction.employer, seeker=sanction.seeker)
            .exclude(kind=SanctionKind.WARNING)
            .exists()
        )
        if sanction.kind != SanctionKind.WARNING and not still_sanctioned:
            if sanction.employer is not None:
                jobs_services.employer_set_account_status(
                    actor=actor, employer=subject, status=AccountStatus.ACTIVE, note="Undo"
                )
            else:
                jobs_services.seeker_set_account_status(
                    actor=actor, seeker=subject, status=AccountStatus.ACTIVE, note="Undo"
                )
        audit_record(actor=actor, action="sanction.revoked", target=sanction, note="Undo")
    if decision.action != DecisionAction.ESCALATE:
        upheld = decision.action in policies.UPHOLDING_ACTIONS
        counter = "reports_upheld" if upheld else "reports_dismissed"
        for report in (
            Report.objects.select_for_update()
            .filter(case=case, resolved_at=case.resolved_at)
            .exclude(status=ReportStatus.OPEN)
        ):
            report.status = ReportStatus.OPEN
            report.resolved_at = None
            report.save(update_fields=["status", "resolved_at"])
            ReporterStats.objects.filter(
                reporter_kind=report.reporter_kind, reporter_external_id=report.reporter_external_id
            ).update(**{counter: F(counter) - 1})
        RuleHit.objects.filter(case=case).update(confirmed=None)
        Appeal.objects.filter(resolution=decision).update(
            status=AppealStatus.PENDING, resolved_at=None, resolution=None
        )
        SecondReview.objects.filter(decision=decision, status=ReviewStatus.PENDING).delete()
    decision.undone_at = now
    decision.undone_by = user
    decision.save(update_fields=["undone_at", "undone_by"])
    # Reopen for the moderator who undid it: they are about to decide again.
    case.status = (
        CaseStatus.ESCALATED if case.escalated_at and decision.action != DecisionAction.ESCALATE else CaseStatus.OPEN
    )
    if decision.action == DecisionAction.ESCALATE:
        case.escalated_at = None
    case.resolved_at = None
    case.last_decision_action = ""
    case.claimed_by = user
    case.claimed_at = now
    case.claim_expires_at = now + dt.timedelta(minutes=_config()["CLAIM_MINUTES"])
    _rescore(case)
    _bump(
        case,
        "status",
        "escalated_at",
        "resolved_at",
        "last_decision_action",
        "claimed_by",
        "claimed_at",
        "claim_expires_at",
        "score",
        "band",
        "due_at",
    )
    audit_record(actor=actor, action="decision.undone", target=case, note=note, metadata={"decision": decision.pk})
    _event(case, "undone", actor, f"Undid: {decision.get_action_display()}")
    return decision


# --- appeals and second reviews ---------------------------------------------------------------------------
@transaction.atomic
def appeal_file(*, actor: Actor, decision: Decision, text: str = "") -> Appeal:
    """An appeal reopens the target's case for a different moderator than the one who decided."""
    if decision.undone_at is not None:
        raise ModerationError(_("An undone decision cannot be appealed."))
    if Appeal.objects.filter(decision=decision, status=AppealStatus.PENDING).exists():
        raise ModerationError(_("This decision already has a pending appeal."))
    case = _lock(decision.case)
    if case.status == CaseStatus.RESOLVED:
        newer = (
            Case.objects.select_for_update()
            .filter(target_key=case.target_key)
            .exclude(status=CaseStatus.RESOLVED)
            .first()
        )
        if newer is not None:
            # New reports already reopened the target: the appeal joins that case.
            case = newer
        else:
            now = timezone.now()
            case.status = CaseStatus.OPEN
            case.resolved_at = None
            case.escalated_at = None
            case.opened_at = now
            case.save(update_fields=["status", "resolved_at", "escalated_at", "opened_at"])
    case.is_appeal = True
    case.excluded_moderator_id = decision.moderator_id
    case.claimed_by = None
    case.claimed_at = None
    case.claim_expires_at = None
    _rescore(case)
    _bump(
        case,
        "is_appeal",
        "excluded_moderator",
        "claimed_by",
        "claimed_at",
        "claim_expires_at",
        "score",
        "band",
        "due_at",
    )
    appeal = Appeal.objects.create(decision=decision, case=case, text=text)
    audit_record(actor=actor, action="appeal.filed", target=appeal, metadata={"case": case.pk, "decision": decision.pk})
    _event(case, "appealed", actor, f"Appeal of decision {decision.pk} ({decision.get_action_display()})")
    return appeal


@transaction.atomic
def second_review_complete(
    *, user: AbstractBaseUser, review: SecondReview, agreed: bool, note: str = ""
) -> SecondReview:
    _require(user, "moderation.decide_case", _("You do not have permission to review decisions."))
    locked = SecondReview.objects.select_for_update().select_related("decision").get(pk=review.pk)
    if locked.status != ReviewStatus.PENDING:
        raise ModerationError(_("This review is already done."))
    if locked.decision.moderator_id == user.pk:
        raise PermissionDenied(_("A second review must be done by a different moderator."))
    locked.status = ReviewStatus.AGREED if agreed else ReviewStatus.DISAGREED
    locked.reviewer = user
    locked.note = note
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "reviewer", "note", "completed_at"])
    audit_record(
        actor=Actor.staff(user), action="second_review.completed", target=locked, note=note, metadata={"agreed": agreed}
    )
    _event(
        locked.decision.case,
        "second_review",
        Actor.staff(user),
        "Second review: " + ("agreed" if agreed else "disagreed"),
    )
    return locked


# --- configuration records ------------------------------------------------------------------------------
_TEMPLATE_FIELDS = ("code", "clause", "action", "title", "text_ko", "text_en", "active")
_RULE_FIELDS = ("name", "kind", "clause", "config", "weight", "mode", "enabled")


@transaction.atomic
def reason_template_save(*, actor: Actor, template: ReasonTemplate, changed: Sequence[str] = ()) -> ReasonTemplate:
    """Create or edit a reason template (the words users read), audited with the old and new text."""
    before = {}
    if template.pk:
        before = snapshot(ReasonTemplate.objects.select_for_update().get(pk=template.pk), _TEMPLATE_FIELDS)
    template.full_clean()
    template.save()
    audit_record(
        actor=actor,
        action="reason_template.changed" if before else "reason_template.created",
        target=template,
        before=before,
        after=snapshot(template, _TEMPLATE_FIELDS),
    )
    return template


@transaction.atomic
def rule_save(*, actor: Actor, rule: Rule, changed: Sequence[str] = ()) -> Rule:
    """Create or edit a screening rule (mode, weight, config), audited: a rule change changes outcomes."""
    from moderation.rules.base import validate_config

    # Every entry point gets the same check as the admin form: an unusable config never reaches screening.
    validate_config(rule.kind, rule.config)
    before = {}
    if rule.pk:
        before = snapshot(Rule.objects.select_for_update().get(pk=rule.pk), _RULE_FIELDS)
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="rule.changed" if before else "rule.created",
        target=rule,
        before=before,
        after=snapshot(rule, _RULE_FIELDS),
    )
    return rule
