"""A small, deterministic marketplace and moderation history for the report page tests (unit and browser).

Every timestamp is explicit and falls on a past day (Asia/Seoul), before the start of today: rollups computed
at the start of a test and pages computed a moment later see the same rows. Rows are written with the ORM
(not the services), so each timestamp is exactly what the test says.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from backoffice.audit import Actor
from backoffice.roles import MODERATOR
from jobs.models import (
    Application,
    ApplicationStatus,
    Category,
    CloseReason,
    EmploymentType,
    JobPosting,
    PostingStatus,
)
from moderation.models import (
    Appeal,
    AppealStatus,
    Band,
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    PolicyClause,
    Report,
    ReporterKind,
    ReportReason,
    ReviewStatus,
    Rule,
    RuleHit,
    RuleMode,
    SecondReview,
    TargetKind,
    target_key,
)
from reports.metrics import day_bounds, local_day
from reports.services import rollup_range
from tests.factories import JobPostingFactory, SeekerFactory, UserFactory

# (legal-dong code, province code): Seoul, Busan, Gyeonggi.
REGIONS = [("1168010100", "11"), ("2635010500", "26"), ("4113510900", "41")]
CATEGORIES = [Category.FOOD_SERVICE, Category.RETAIL, Category.DELIVERY]
TYPES = [EmploymentType.PART_TIME, EmploymentType.FULL_TIME]
BANDS = [Band.LOW, Band.MEDIUM, Band.HIGH, Band.URGENT]
SLA_HOURS = {Band.LOW: 48, Band.MEDIUM: 24, Band.HIGH: 8, Band.URGENT: 2}

_ids = itertools.count(1)


def today() -> dt.date:
    from django.utils import timezone

    return local_day(timezone.now())


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a Seoul day (hours past 23 roll over to the next day)."""
    return day_bounds(day)[0] + dt.timedelta(hours=hour, minutes=minute)


@dataclass
class Dataset:
    today: dt.date
    first_day: dt.date
    moderators: list = field(default_factory=list)
    postings: list[JobPosting] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    def postings_published_in(self, start: dt.date, end: dt.date, province: str = "") -> int:
        return sum(
            1
            for posting in self.postings
            if posting.published_at is not None
            and start <= local_day(posting.published_at) <= end
            and posting.region_code.startswith(province)
        )


def build(days: int = 10, *, per_day: int = 3, reference: dt.date | None = None) -> Dataset:
    """Postings, applications, cases with decisions (and claims, appeals, second reviews, auto-hides), rule hits
    and user reports on each of the ``days`` days before today. Some cases stay open (the backlog), some of those
    past their due time (SLA breaches)."""
    ref = reference or today()
    # Nothing may happen after the start of today: pages computed later than the rollup see the same rows.
    cutoff = at(ref, 0) - dt.timedelta(minutes=1)
    data = Dataset(today=ref, first_day=ref - dt.timedelta(days=days))
    moderators = []
    for name in ("심사원-김", "심사원-이", "moderator-park"):
        user = UserFactory(username=f"{name}-{next(_ids)}")
        user.groups.add(Group.objects.get(name=MODERATOR))
        moderators.append(user)
    data.moderators = moderators
    reviewer = moderators[2]
    rules = [
        Rule.objects.create(name=f"현금 수거 {next(_ids)}", kind="keywords", clause=PolicyClause.CRIME, weight=60,
                            mode=RuleMode.FLAG, enabled=True),
        Rule.objects.create(name=f"연락처 노출 {next(_ids)}", kind="contact", clause=PolicyClause.OFF_PLATFORM,
                            weight=20, mode=RuleMode.DRY_RUN, enabled=True),
        Rule.objects.create(name=f"최저임금 미달 {next(_ids)}", kind="min_wage", clause=PolicyClause.MIN_WAGE,
                            weight=40, mode=RuleMode.AUTO_HIDE, enabled=True),
    ]  # fmt: skip
    data.rules = rules
    seekers = [SeekerFactory() for _ in range(4)]

    for offset in range(1, days + 1):
        day = ref - dt.timedelta(days=offset)
        count = per_day + offset % 2
        for i in range(count):
            n = offset + i
            region, _province = REGIONS[n % len(REGIONS)]
            posting = JobPostingFactory(
                title=f"주말 홀서빙 알바 {offset}-{i}",
                region_code=region,
                category=CATEGORIES[(2 * offset + i) % len(CATEGORIES)],
                employment_type=TYPES[n % len(TYPES)],
                created_at=at(day, 8, i),
                published_at=at(day, 9, i),
                status_changed_at=at(day, 9, i),
                expires_at=at(day, 9) + dt.timedelta(days=30),
            )
            if i == 0 and offset % 2 == 0:
                posting.status = PostingStatus.CLOSED
                posting.close_reason = CloseReason.FILLED if offset % 4 == 0 else CloseReason.CANCELLED
                posting.closed_at = posting.status_changed_at = at(day, 21)
            elif i == 1 and offset % 3 == 0:
                posting.status = PostingStatus.EXPIRED
                posting.status_changed_at = at(day, 22)
            # Applications: the i-th posting of a day gets i of them (the first gets none).
            first_application = None
            for j in range(i):
                submitted = at(day, 11 + j, 5 * i)
                first_application = first_application or submitted
                hired = i == 2 and j == 0
                Application.objects.create(
                    external_id=f"a-rep-{next(_ids)}",
                    posting=posting,
                    seeker=seekers[j],
                    submitted_at=submitted,
                    viewed_at=submitted + dt.timedelta(hours=1) if j % 2 == 0 else None,
                    hired_at=at(day, 19) if hired else None,
                    status=ApplicationStatus.HIRED if hired else ApplicationStatus.SUBMITTED,
                    status_changed_at=submitted,
                    created_at=submitted,
                )
            posting.first_application_at = first_application
            posting.application_count = i
            posting.save()
            data.postings.append(posting)
            if i % 2 == 0 or offset % 3 == 0:
                data.cases.append(
                    _case(posting, day, offset, i, moderators=moderators, reviewer=reviewer, rules=rules, cutoff=cutoff)
                )
    return data


def _case(posting, day, offset, i, *, moderators, reviewer, rules, cutoff) -> Case:  # type: ignore[no-untyped-def]
    band = BANDS[(offset + i) % len(BANDS)]
    opened = at(day, 10, 10 * i)
    # Every third case stays open: older ones are past their due time (breaches), the newest are not yet.
    stays_open = (offset + i) % 3 == 0
    auto_hidden = (offset + i) % 4 == 1
    resolved = None if stays_open else min(opened + dt.timedelta(hours=1 + (offset * 7 + i * 5) % 40), cutoff)
    # Every fifth resolved case was decided after its due time.
    due = opened + dt.timedelta(hours=SLA_HOURS[band])
    if resolved is not None and (offset + i) % 5 == 0:
        due = min(due, resolved - dt.timedelta(minutes=30))
    case = Case.objects.create(
        target_kind=TargetKind.POSTING,
        target_key=target_key(TargetKind.POSTING, posting.pk),
        posting=posting,
        band=band,
        score=10.0 * band,
        status=CaseStatus.OPEN if resolved is None else CaseStatus.RESOLVED,
        opened_at=opened,
        due_at=due,
        resolved_at=resolved,
        region_code=posting.region_code,
        category=posting.category,
        auto_hidden=auto_hidden,
        primary_reason=ReportReason.SCAM,
        report_count=1 + i,
    )
    if stays_open and offset % 2 == 0:
        case.status = CaseStatus.ESCALATED
        case.escalated_at = due
        case.save(update_fields=["status", "escalated_at"])
    for r in range(1 + i % 2):
        Report.objects.create(
            target_kind=TargetKind.POSTING,
            target_key=case.target_key,
            posting=posting,
            external_id=f"r-rep-{next(_ids)}",
            reporter_kind=ReporterKind.SEEKER,
            reporter_external_id=f"sk-rep-{offset}-{i}-{r}",
            reason=[ReportReason.SCAM, ReportReason.ILLEGAL_WAGE, ReportReason.SPAM][(offset + r) % 3],
            case=case,
            filed_at=opened - dt.timedelta(minutes=5 + r),
        )
    rule = rules[(offset + i) % len(rules)]
    removed = (offset + i) % 2 == 0
    hit = RuleHit.objects.create(
        rule=rule,
        posting=posting,
        case=case,
        weight=rule.weight,
        mode=rule.mode,
        created_at=opened - dt.timedelta(minutes=1),
        evidence={"summary": rule.name},
    )
    if auto_hidden:
        Decision.objects.create(
            case=case,
            action=DecisionAction.REMOVE,
            moderator=None,
            clause=rule.clause,
            remove_mode="hide",
            posting_status_before=PostingStatus.PUBLISHED,
            posting_status_after=PostingStatus.HIDDEN,
            case_version=1,
            created_at=opened + dt.timedelta(minutes=2),
        )
    if resolved is None:
        return case
    moderator = moderators[(offset + i) % 2]
    CaseEvent.objects.create(
        case=case,
        kind="claimed",
        actor=moderator,
        actor_label=moderator.username,
        message="claimed",
        created_at=max(opened, resolved - dt.timedelta(minutes=5 + 7 * i)),
    )
    decision = Decision.objects.create(
        case=case,
        action=DecisionAction.REMOVE if removed else DecisionAction.APPROVE,
        moderator=moderator,
        clause=rule.clause if removed else PolicyClause.NONE,
        remove_mode="hide" if removed else "",
        posting_status_before=PostingStatus.HIDDEN if auto_hidden else PostingStatus.PUBLISHED,
        posting_status_after=PostingStatus.HIDDEN if removed else PostingStatus.PUBLISHED,
        case_version=2,
        created_at=resolved,
    )
    hit.confirmed = removed
    hit.save(update_fields=["confirmed"])
    case.last_decision_action = decision.action
    case.save(update_fields=["last_decision_action"])
    if removed and offset % 3 != 1:
        filed = resolved + dt.timedelta(hours=2)
        decided = min(filed + dt.timedelta(hours=3), cutoff)
        if filed < cutoff:
            Appeal.objects.create(
                decision=decision,
                case=case,
                text="억울합니다",
                status=AppealStatus.OVERTURNED if offset % 2 else AppealStatus.UPHELD,
                filed_at=filed,
                resolved_at=decided,
            )
    if not removed:
        SecondReview.objects.create(
            decision=decision,
            reviewer=reviewer,
            status=ReviewStatus.AGREED if offset % 3 else ReviewStatus.DISAGREED,
            created_at=resolved,
            completed_at=min(resolved + dt.timedelta(minutes=30), cutoff),
        )
    return case


def roll_up(first: dt.date, last: dt.date) -> None:
    rollup_range(first=first, last=last, actor=Actor.system("tests"))
