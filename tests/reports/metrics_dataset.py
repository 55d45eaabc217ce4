"""The fixed data set of the metric and rollup tests (tests/reports/test_metrics.py, test_rollup.py): every
timestamp explicit (Asia/Seoul), rows created directly with the ORM in the state the services leave them in
(the metrics only read tables).

Four days, D1 = Monday 2025-11-03 … D4; D3 is empty on purpose (no metric may show a value for it). "Now" is
``NOW`` = D4 18:00 for the two metrics that read the clock (``backlog`` and ``sla_breaches``).

Postings (region = first two digits of the legal-dong code, category, employment type):

    P1  11 food_service part_time   created D1 09:00  published D1 10:00  first application D1 12:00
    P2  11 retail       full_time   created D1 11:00  published D2 09:00  first application D2 10:30, closed
                                                                           (filled) D4 15:00
    P3  26 delivery     part_time   created D2 00:30  published D2 00:40  first application D4 09:30
    P4  41 food_service freelance   created D4 00:10  never published (pending review, case C5 open)
    P5  11 food_service part_time   published D1-7d 14:00, no application, expired D2 00:30
    P6  26 delivery     full_time   published D1-6d 23:30, first application D1-3d 20:00 (hidden by C8)
    P7  41 food_service full_time   created D1 13:30  published D1 13:40 (removed D1 21:00, restored on appeal)
    P8  41 retail       part_time   published D1-4d 10:00 (= D4-7d), first application D4 11:00

Applications: A0 P6 D1-3d 20:00 (viewed D1-2d 09:00) · A5 P6 D1-2d 10:00 (viewed D2 11:00, one hour after its
3 days) · A1 P1 D1 12:00 (viewed D1 15:00, hired D2 11:00) · A2 P1 D1 13:00 (never answered) · A3 P2 D2 10:30
(shortlisted D2 14:00, hired D4 10:00) · A4 P2 D2 11:00 (rejected D2 12:00) · A7 P3 D4 09:30 · A8 P8 D4 11:00.

Cases (final state; an appeal reopens its case, so C2 and C8 show the reopened times):

    C1  P1        band 2  opened D1 10:30  due D1 22:30  resolved D1 11:20  (M1 approve; claims: M1 10:40,
                                                                             M2 10:50, M1 11:00)
    C7  P2        band 2  opened D1 11:00  due D1 23:00  resolved D2 09:00  (M2 claim 08:30, approve) LATE
    C8  P6        band 3  first D1 16:00→17:00 (M1 claim 16:30, remove P1-false-ad); appeal filed D4 08:00
                          reopens it: opened D4 08:00  due D4 12:00  resolved D4 09:45 (M2 claim 09:00,
                          remove P1-false-ad: appeal upheld)
    C2  P7        band 3  first D1 13:40 (M2 claim 20:00, remove P4-off-platform D1 21:00); appeal filed
                          D2 09:00 reopens it: opened D2 09:00  due D2 13:00  resolved D2 15:00 (M1 claim 14:00,
                          approve → published: appeal overturned) LATE
    C3  P3        band 4  opened D2 00:50  due D2 02:50  auto-hidden by the system D2 01:00, M1 claim 02:00,
                          approve → published D2 02:30 (restored)
    C4  employer  band 1  opened D2 10:00  due D2 22:00  resolved D2 23:30  (M2 claim 20:00, dismiss) LATE
    C5  P4        band 3  opened D4 00:10  due D4 04:10  still open (an M2 removal at 02:00 was undone 02:10)
    C6  P1        band 3  opened D4 12:00  due D4 20:00  escalated D4 13:30 by M1 (claim 13:00), still open

Second reviews: of C1's approval (agreed, D2 10:00), of C3's approval (agreed, D2 12:00), of C2's approval on
appeal (disagreed, D4 11:00), of C7's approval (pending). Rule hits: R1 flag on P1/C1 D1 10:30, on P2/C7 D1 11:00,
on P6/C8 D1 16:00; R2 flag on P7/C2 D1 13:40, on P4/C5 D4 00:10; R2 dry run on P3 (no case) D2 00:40; R3
auto-hide on P3/C3 D2 00:50. Reports: P1 spam D1 10:30, P6 scam D1 16:00, P3 scam D2 00:50 and 00:55, employer
other D2 10:00 (not a posting), P1 illegal_wage D4 12:00.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from jobs.models import (
    Application,
    ApplicationStatus,
    Category,
    CloseReason,
    Employer,
    EmploymentType,
    JobPosting,
    PostingStatus,
)
from moderation.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Decision,
    DecisionAction,
    PolicyClause,
    RemoveMode,
    Report,
    ReviewStatus,
    Rule,
    RuleHit,
    RuleKind,
    RuleMode,
    SecondReview,
    TargetKind,
    target_key,
)
from reports.metrics import SEOUL
from tests.factories import ApplicationFactory, EmployerFactory, JobPostingFactory, SeekerFactory, UserFactory

D1 = dt.date(2025, 11, 3)
D2 = D1 + dt.timedelta(days=1)
D3 = D1 + dt.timedelta(days=2)  # the empty day
D4 = D1 + dt.timedelta(days=3)
DAYS = (D1, D2, D3, D4)

SEOUL_GANGNAM = "1168010100"  # 서울 강남구 역삼동: region "11"
SEOUL_MAPO = "1144012400"  # 서울 마포구: region "11"
BUSAN = "2635010500"  # 부산 해운대구: region "26"
GYEONGGI = "4113510900"  # 경기 성남시 분당구: region "41"


def at(day: dt.date, hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
    """``day`` (+ ``days``) at hour:minute, Asia/Seoul."""
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=SEOUL)


NOW = at(D4, 18)


@dataclass
class Dataset:
    m1: Any
    m2: Any
    senior: Any
    r1: Rule
    r2: Rule
    r3: Rule
    postings: dict[str, JobPosting]
    cases: dict[str, Case]

    def ids(self) -> dict[str, str]:
        """Placeholders of the breakdown keys that carry database ids."""
        return {
            "M1": str(self.m1.pk),
            "M2": str(self.m2.pk),
            "R1": str(self.r1.pk),
            "R2": str(self.r2.pk),
            "R3": str(self.r3.pk),
        }


_reports = itertools.count(1)


def _posting(region: str, category: str, employment_type: str, *, created: dt.datetime, **fields: Any) -> JobPosting:
    defaults: dict[str, Any] = {
        "status": PostingStatus.PUBLISHED,
        "status_changed_at": fields.get("published_at") or created,
        "expires_at": created + dt.timedelta(days=30),
    }
    return JobPostingFactory(
        region_code=region,
        category=category,
        employment_type=employment_type,
        created_at=created,
        **{**defaults, **fields},
    )


def _application(posting: JobPosting, submitted: dt.datetime, **fields: Any) -> Application:
    return ApplicationFactory(
        posting=posting,
        seeker=SeekerFactory(),
        submitted_at=submitted,
        created_at=submitted,
        status_changed_at=submitted,
        **fields,
    )


def _case(target: JobPosting | Employer, *, band: int, opened: dt.datetime, due: dt.datetime, **fields: Any) -> Case:
    where: dict[str, Any]
    if isinstance(target, JobPosting):
        kind, where = TargetKind.POSTING, {"posting": target, "category": target.category}
    else:
        kind, where = TargetKind.EMPLOYER, {"employer": target, "category": ""}
    return Case.objects.create(
        target_kind=kind,
        target_key=target_key(kind, target.pk),
        region_code=target.region_code,
        band=band,
        opened_at=opened,
        due_at=due,
        **where,
        **fields,
    )


def _claim(case: Case, user: Any, when: dt.datetime) -> None:
    CaseEvent.objects.create(
        case=case, kind="claimed", actor=user, actor_label=user.get_username(), message="Claimed", created_at=when
    )


def _decide(case: Case, user: Any, action: str, when: dt.datetime, clause: str = "", **fields: Any) -> Decision:
    return Decision.objects.create(
        case=case, action=action, moderator=user, clause=clause, case_version=1, created_at=when, **fields
    )


def _hit(
    rule: Rule, posting: JobPosting, case: Case | None, when: dt.datetime, mode: str, confirmed: bool | None
) -> None:
    RuleHit.objects.create(
        rule=rule,
        posting=posting,
        case=case,
        weight=rule.weight,
        mode=mode,
        created_at=when,
        confirmed=confirmed,
        evidence={"summary": "test"},
    )


def _report(target: JobPosting | Employer, case: Case, reason: str, when: dt.datetime) -> None:
    n = next(_reports)
    kind = TargetKind.POSTING if isinstance(target, JobPosting) else TargetKind.EMPLOYER
    Report.objects.create(
        target_kind=kind,
        target_key=target_key(kind, target.pk),
        posting=target if kind == TargetKind.POSTING else None,
        employer=target if kind == TargetKind.EMPLOYER else None,
        external_id=f"r-metrics-{n}",
        reporter_kind="seeker",
        reporter_external_id=f"sk-metrics-{n}",
        reason=reason,
        case=case,
        filed_at=when,
    )


def build() -> Dataset:
    m1 = UserFactory(username="metrics-mod1")
    m2 = UserFactory(username="metrics-mod2")
    senior = UserFactory(username="metrics-senior")
    r1 = Rule.objects.create(
        name="metrics test: keywords",
        kind=RuleKind.KEYWORDS,
        clause=PolicyClause.CRIME,
        mode=RuleMode.FLAG,
        enabled=True,
    )
    r2 = Rule.objects.create(
        name="metrics test: contact",
        kind=RuleKind.CONTACT,
        clause=PolicyClause.OFF_PLATFORM,
        mode=RuleMode.FLAG,
        enabled=True,
    )
    r3 = Rule.objects.create(
        name="metrics test: auto-hide",
        kind=RuleKind.KEYWORDS,
        clause=PolicyClause.CRIME,
        mode=RuleMode.AUTO_HIDE,
        enabled=True,
    )

    food, retail, delivery = Category.FOOD_SERVICE, Category.RETAIL, Category.DELIVERY
    part, full, freelance = EmploymentType.PART_TIME, EmploymentType.FULL_TIME, EmploymentType.FREELANCE

    # --- postings and applications -------------------------------------------------------------------------------
    p1 = _posting(
        SEOUL_GANGNAM, food, part, created=at(D1, 9), published_at=at(D1, 10), first_application_at=at(D1, 12)
    )
    p2 = _posting(
        SEOUL_MAPO,
        retail,
        full,
        created=at(D1, 11),
        published_at=at(D2, 9),
        first_application_at=at(D2, 10, 30),
        status=PostingStatus.CLOSED,
        status_changed_at=at(D4, 15),
        closed_at=at(D4, 15),
        close_reason=CloseReason.FILLED,
    )
    # Created 00:30 in Seoul is still the day before in UTC: the metrics must count it on D2.
    p3 = _posting(
        BUSAN, delivery, part, created=at(D2, 0, 30), published_at=at(D2, 0, 40), first_application_at=at(D4, 9, 30)
    )
    p4 = _posting(
        GYEONGGI, food, freelance, created=at(D4, 0, 10), published_at=None, status=PostingStatus.PENDING_REVIEW
    )
    p5 = _posting(
        SEOUL_GANGNAM,
        food,
        part,
        created=at(D1, 9, days=-8),
        published_at=at(D1, 14, days=-7),
        status=PostingStatus.EXPIRED,
        status_changed_at=at(D2, 0, 30),
        expires_at=at(D2, 0, 30),
    )
    p6 = _posting(
        BUSAN,
        delivery,
        full,
        created=at(D1, 10, days=-8),
        published_at=at(D1, 23, 30, days=-6),
        first_application_at=at(D1, 20, days=-3),
        status=PostingStatus.HIDDEN,
        status_changed_at=at(D4, 9, 45),
    )
    p7 = _posting(
        GYEONGGI, food, full, created=at(D1, 13, 30), published_at=at(D1, 13, 40), status_changed_at=at(D2, 15)
    )
    p8 = _posting(
        GYEONGGI,
        retail,
        part,
        created=at(D1, 9, days=-4),
        published_at=at(D1, 10, days=-4),
        first_application_at=at(D4, 11),
    )

    _application(p6, at(D1, 20, days=-3), viewed_at=at(D1, 9, days=-2), status=ApplicationStatus.VIEWED)  # A0
    _application(p6, at(D1, 10, days=-2), viewed_at=at(D2, 11), status=ApplicationStatus.VIEWED)  # A5
    _application(p1, at(D1, 12), viewed_at=at(D1, 15), hired_at=at(D2, 11), status=ApplicationStatus.HIRED)  # A1
    _application(p1, at(D1, 13))  # A2
    _application(
        p2, at(D2, 10, 30), shortlisted_at=at(D2, 14), hired_at=at(D4, 10), status=ApplicationStatus.HIRED
    )  # A3
    _application(p2, at(D2, 11), rejected_at=at(D2, 12), status=ApplicationStatus.REJECTED)  # A4
    _application(p3, at(D4, 9, 30))  # A7
    _application(p8, at(D4, 11))  # A8

    # --- cases, claims and decisions -----------------------------------------------------------------------------
    resolved = {"status": CaseStatus.RESOLVED}
    c1 = _case(p1, band=2, opened=at(D1, 10, 30), due=at(D1, 22, 30), resolved_at=at(D1, 11, 20), **resolved)
    _claim(c1, m1, at(D1, 10, 40))  # a claim that lapsed …
    _claim(c1, m2, at(D1, 10, 50))  # … someone else's …
    _claim(c1, m1, at(D1, 11))  # … and M1's claim the decision was taken under
    d1 = _decide(c1, m1, DecisionAction.APPROVE, at(D1, 11, 20), PolicyClause.NONE)

    c7 = _case(p2, band=2, opened=at(D1, 11), due=at(D1, 23), resolved_at=at(D2, 9), **resolved)
    _claim(c7, m2, at(D2, 8, 30))
    d7 = _decide(
        c7,
        m2,
        DecisionAction.APPROVE,
        at(D2, 9),
        PolicyClause.NONE,
        posting_status_before=PostingStatus.PENDING_REVIEW,
        posting_status_after=PostingStatus.PUBLISHED,
    )

    c8 = _case(
        p6,
        band=3,
        opened=at(D4, 8),
        due=at(D4, 12),
        resolved_at=at(D4, 9, 45),
        is_appeal=True,
        excluded_moderator=m1,
        **resolved,
    )
    _claim(c8, m1, at(D1, 16, 30))
    d8 = _decide(
        c8,
        m1,
        DecisionAction.REMOVE,
        at(D1, 17),
        PolicyClause.FALSE_AD,
        remove_mode=RemoveMode.HIDE,
        posting_status_before=PostingStatus.PUBLISHED,
        posting_status_after=PostingStatus.HIDDEN,
    )
    _claim(c8, m2, at(D4, 9))
    d8b = _decide(c8, m2, DecisionAction.REMOVE, at(D4, 9, 45), PolicyClause.FALSE_AD, remove_mode=RemoveMode.HIDE)
    Appeal.objects.create(
        decision=d8, case=c8, status=AppealStatus.UPHELD, filed_at=at(D4, 8), resolved_at=at(D4, 9, 45), resolution=d8b
    )

    c2 = _case(
        p7,
        band=3,
        opened=at(D2, 9),
        due=at(D2, 13),
        resolved_at=at(D2, 15),
        is_appeal=True,
        excluded_moderator=m2,
        **resolved,
    )
    _claim(c2, m2, at(D1, 20))
    d2 = _decide(
        c2,
        m2,
        DecisionAction.REMOVE,
        at(D1, 21),
        PolicyClause.OFF_PLATFORM,
        remove_mode=RemoveMode.HIDE,
        posting_status_before=PostingStatus.PUBLISHED,
        posting_status_after=PostingStatus.HIDDEN,
    )
    _claim(c2, m1, at(D2, 14))
    d2b = _decide(
        c2,
        m1,
        DecisionAction.APPROVE,
        at(D2, 15),
        PolicyClause.NONE,
        posting_status_before=PostingStatus.HIDDEN,
        posting_status_after=PostingStatus.PUBLISHED,
    )
    Appeal.objects.create(
        decision=d2, case=c2, status=AppealStatus.OVERTURNED, filed_at=at(D2, 9), resolved_at=at(D2, 15), resolution=d2b
    )

    c3 = _case(
        p3, band=4, opened=at(D2, 0, 50), due=at(D2, 2, 50), resolved_at=at(D2, 2, 30), auto_hidden=True, **resolved
    )
    _decide(
        c3,
        None,
        DecisionAction.REMOVE,
        at(D2, 1),
        remove_mode=RemoveMode.HIDE,  # the system's auto-hide
        posting_status_before=PostingStatus.PUBLISHED,
        posting_status_after=PostingStatus.HIDDEN,
    )
    _claim(c3, m1, at(D2, 2))
    d3 = _decide(
        c3,
        m1,
        DecisionAction.APPROVE,
        at(D2, 2, 30),
        PolicyClause.NONE,
        posting_status_before=PostingStatus.HIDDEN,
        posting_status_after=PostingStatus.PUBLISHED,
    )

    employer = EmployerFactory(region_code=SEOUL_GANGNAM)
    c4 = _case(employer, band=1, opened=at(D2, 10), due=at(D2, 22), resolved_at=at(D2, 23, 30), **resolved)
    _claim(c4, m2, at(D2, 20))
    _decide(c4, m2, DecisionAction.DISMISS, at(D2, 23, 30), PolicyClause.NONE)

    c5 = _case(p4, band=3, opened=at(D4, 0, 10), due=at(D4, 4, 10))
    _claim(c5, m2, at(D4, 1, 50))
    _decide(
        c5,
        m2,
        DecisionAction.REMOVE,
        at(D4, 2),
        PolicyClause.FALSE_AD,
        remove_mode=RemoveMode.REJECT,
        undone_at=at(D4, 2, 10),
        undone_by=senior,
    )

    c6 = _case(p1, band=3, opened=at(D4, 12), due=at(D4, 20), status=CaseStatus.ESCALATED, escalated_at=at(D4, 13, 30))
    _claim(c6, m1, at(D4, 13))
    _decide(c6, m1, DecisionAction.ESCALATE, at(D4, 13, 30))

    # --- four-eyes reviews ---------------------------------------------------------------------------------------
    SecondReview.objects.create(
        decision=d1, status=ReviewStatus.AGREED, reviewer=senior, created_at=at(D1, 11, 20), completed_at=at(D2, 10)
    )
    SecondReview.objects.create(
        decision=d3, status=ReviewStatus.AGREED, reviewer=m2, created_at=at(D2, 2, 30), completed_at=at(D2, 12)
    )
    SecondReview.objects.create(
        decision=d2b, status=ReviewStatus.DISAGREED, reviewer=senior, created_at=at(D2, 15), completed_at=at(D4, 11)
    )
    SecondReview.objects.create(decision=d7, created_at=at(D2, 9))  # still pending

    # --- rule hits and reports -----------------------------------------------------------------------------------
    _hit(r1, p1, c1, at(D1, 10, 30), RuleMode.FLAG, False)
    _hit(r1, p2, c7, at(D1, 11), RuleMode.FLAG, False)
    _hit(r2, p7, c2, at(D1, 13, 40), RuleMode.FLAG, False)
    _hit(r1, p6, c8, at(D1, 16), RuleMode.FLAG, True)
    _hit(r2, p3, None, at(D2, 0, 40), RuleMode.DRY_RUN, None)
    _hit(r3, p3, c3, at(D2, 0, 50), RuleMode.AUTO_HIDE, False)
    _hit(r2, p4, c5, at(D4, 0, 10), RuleMode.FLAG, None)

    _report(p1, c1, "spam", at(D1, 10, 30))
    _report(p6, c8, "scam", at(D1, 16))
    _report(p3, c3, "scam", at(D2, 0, 50))
    _report(p3, c3, "scam", at(D2, 0, 55))
    _report(employer, c4, "other", at(D2, 10))
    _report(p1, c6, "illegal_wage", at(D4, 12))

    return Dataset(
        m1=m1,
        m2=m2,
        senior=senior,
        r1=r1,
        r2=r2,
        r3=r3,
        postings={"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5, "P6": p6, "P7": p7, "P8": p8},
        cases={"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7, "C8": c8},
    )
