"""Pure moderation logic: how urgent a case is, when it is due, and how sanctions escalate.

No I/O: callers gather the signals (selectors) and pass them in, so every number here is unit-testable and
explainable to a moderator ("why is this case urgent?").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from moderation.models import Band, DecisionAction, ReportReason, SanctionKind

# A report's base weight per reason: money-related harm first (DOMAIN.md P5/P2 hurt people the fastest).
REASON_WEIGHT: Mapping[str, float] = {
    ReportReason.SCAM: 1.5,
    ReportReason.ILLEGAL_WAGE: 1.2,
    ReportReason.DISCRIMINATION: 1.2,
    ReportReason.INAPPROPRIATE: 1.0,
    ReportReason.SPAM: 0.8,
    ReportReason.DUPLICATE: 0.6,
    ReportReason.OTHER: 0.7,
}
POINTS_PER_REPORTER = 12.0
RULE_POINTS_CAP = 100.0
EXPOSURE_POINTS_CAP = 15.0
STARTS_SOON_POINTS = 10.0
PRIOR_VIOLATION_POINTS = 8.0
PRIOR_VIOLATION_CAP = 24.0
ACTIVE_SANCTION_POINTS = 10.0
APPEAL_POINTS = 15.0


@dataclass(frozen=True)
class ReportSignal:
    reporter_key: str
    reason: str
    upheld: int = 0
    dismissed: int = 0

    @property
    def reporter_weight(self) -> float:
        """0.5 … 1.5: Laplace-smoothed accuracy, so a new reporter counts as 'usually right half the time'."""
        accuracy = (self.upheld + 1) / (self.upheld + self.dismissed + 2)
        return 0.5 + accuracy


@dataclass(frozen=True)
class CaseSignals:
    hit_weights: tuple[int, ...] = ()
    reports: tuple[ReportSignal, ...] = ()
    applications: int = 0
    starts_within_24h: bool = False
    prior_violations: int = 0
    active_sanction: bool = False
    is_appeal: bool = False


@dataclass(frozen=True)
class Score:
    total: float
    parts: Mapping[str, float] = field(default_factory=dict)

    def explain(self) -> str:
        return ", ".join(f"{name} {value:.0f}" for name, value in self.parts.items() if value)


def score_case(signals: CaseSignals) -> Score:
    """The case's priority score: rule hits, reporters (distinct, accuracy-weighted, diverse), the target's
    exposure, the author's history, and appeals."""
    rules = min(RULE_POINTS_CAP, float(sum(signals.hit_weights)))

    # One reporter counts once per target, however many reports they file: keep their strongest reason.
    by_reporter: dict[str, ReportSignal] = {}
    for report in signals.reports:
        kept = by_reporter.get(report.reporter_key)
        if kept is None or REASON_WEIGHT.get(report.reason, 1.0) > REASON_WEIGHT.get(kept.reason, 1.0):
            by_reporter[report.reporter_key] = report
    reports = sum(
        POINTS_PER_REPORTER * REASON_WEIGHT.get(r.reason, 1.0) * r.reporter_weight for r in by_reporter.values()
    )
    # Several independent reporters are stronger evidence than their sum: a small bonus per extra reporter.
    if len(by_reporter) > 1:
        reports *= 1 + 0.1 * min(len(by_reporter) - 1, 5)

    exposure = min(EXPOSURE_POINTS_CAP, 5.0 * math.log2(1 + max(0, signals.applications)))
    if signals.starts_within_24h:
        exposure += STARTS_SOON_POINTS
    history = min(PRIOR_VIOLATION_CAP, PRIOR_VIOLATION_POINTS * signals.prior_violations)
    if signals.active_sanction:
        history += ACTIVE_SANCTION_POINTS
    appeal = APPEAL_POINTS if signals.is_appeal else 0.0
    parts = {
        "rules": round(rules, 1),
        "reports": round(reports, 1),
        "exposure": round(exposure, 1),
        "history": round(history, 1),
        "appeal": appeal,
    }
    return Score(total=round(sum(parts.values()), 1), parts=parts)


def band_for(score: float, thresholds: Mapping[str, float]) -> Band:
    if score >= thresholds["urgent"]:
        return Band.URGENT
    if score >= thresholds["high"]:
        return Band.HIGH
    if score >= thresholds["medium"]:
        return Band.MEDIUM
    return Band.LOW


def due_at(opened_at: dt.datetime, band: Band, sla_hours: Mapping[str, float]) -> dt.datetime:
    return opened_at + dt.timedelta(hours=sla_hours[Band(band).name.lower()])


# --- sanctions ------------------------------------------------------------------------------------------
SEVERITY: Mapping[str, int] = {SanctionKind.WARNING: 1, SanctionKind.SUSPENSION: 2, SanctionKind.BAN: 3}


@dataclass(frozen=True)
class SanctionPlan:
    kind: SanctionKind
    strike: int
    duration: dt.timedelta | None

    def until(self, now: dt.datetime) -> dt.datetime | None:
        return now + self.duration if self.duration else None


# Strike ladder: the 1st violation warns, the 2nd suspends a week, the 3rd a month, the 4th bans.
STRIKE_LADDER: tuple[tuple[SanctionKind, dt.timedelta | None], ...] = (
    (SanctionKind.WARNING, None),
    (SanctionKind.SUSPENSION, dt.timedelta(days=7)),
    (SanctionKind.SUSPENSION, dt.timedelta(days=30)),
    (SanctionKind.BAN, None),
)


def plan_sanction(
    *, prior_strikes: int, requested: SanctionKind | None = None, requested_days: int | None = None
) -> SanctionPlan:
    """The sanction for the next strike: at least what the ladder says, more if the moderator asks for it."""
    strike = prior_strikes + 1
    ladder_kind, ladder_duration = STRIKE_LADDER[min(strike, len(STRIKE_LADDER)) - 1]
    kind, duration = ladder_kind, ladder_duration
    if requested is not None and SEVERITY[requested] > SEVERITY[ladder_kind]:
        kind = requested
        duration = dt.timedelta(days=requested_days or 7) if requested == SanctionKind.SUSPENSION else None
    elif requested == SanctionKind.SUSPENSION == ladder_kind and requested_days:
        duration = max(ladder_duration or dt.timedelta(0), dt.timedelta(days=requested_days))
    return SanctionPlan(kind=SanctionKind(kind), strike=strike, duration=duration)


# --- decisions ------------------------------------------------------------------------------------------
# Which actions resolve the case (the others keep it in the queue).
RESOLVING_ACTIONS = frozenset(
    {DecisionAction.APPROVE, DecisionAction.REMOVE, DecisionAction.SANCTION, DecisionAction.DISMISS}
)
# Actions that mean "the reports were right".
UPHOLDING_ACTIONS = frozenset({DecisionAction.REMOVE, DecisionAction.SANCTION})


def appeal_overturns(original: str, resolution: str) -> bool:
    """An appeal overturns when the new decision goes the other way (removal ↔ approval)."""
    return (original in UPHOLDING_ACTIONS) != (resolution in UPHOLDING_ACTIONS)


def should_sample_for_second_review(*, action: str, share: float, draw: float) -> bool:
    """Four-eyes sampling of approvals; ``draw`` is a uniform [0, 1) number supplied by the caller."""
    return action == DecisionAction.APPROVE and draw < share


def distinct(values: Iterable[str]) -> int:
    return len(set(values))
