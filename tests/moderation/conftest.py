from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from backoffice.actions import one
from backoffice.audit import Actor
from backoffice.roles import ANALYST, MODERATOR, OPS_ADMIN, SENIOR_MODERATOR
from moderation.actions import intake
from moderation.models import ReasonTemplate, Report
from tests.factories import JobPostingFactory, UserFactory

_report_ids = itertools.count(1)


def make_user(role: str, username: str | None = None):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username) if username else UserFactory()
    user.groups.add(Group.objects.get(name=role))
    # Permission caches are per instance; a fresh fetch sees the group.
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def moderator(db):  # type: ignore[no-untyped-def]
    return make_user(MODERATOR, "mod1")


@pytest.fixture
def moderator2(db):  # type: ignore[no-untyped-def]
    return make_user(MODERATOR, "mod2")


@pytest.fixture
def senior(db):  # type: ignore[no-untyped-def]
    return make_user(SENIOR_MODERATOR, "senior1")


@pytest.fixture
def analyst(db):  # type: ignore[no-untyped-def]
    return make_user(ANALYST, "analyst1")


@pytest.fixture
def opsadmin(db):  # type: ignore[no-untyped-def]
    return make_user(OPS_ADMIN, "ops1")


def file_report(target, reason: str = "scam", reporter: str | None = None, text: str = "") -> Report:  # type: ignore[no-untyped-def]
    n = next(_report_ids)
    return one(
        intake.reports_file(
            [
                intake.ReportFiling(
                    actor=Actor.marketplace(),
                    external_id=f"r-{n}",
                    reporter_kind="seeker",
                    reporter_external_id=reporter or f"sk-{n}",
                    target=target,
                    reason=reason,
                    text=text,
                )
            ]
        )
    )


@pytest.fixture
def reported_case(db):  # type: ignore[no-untyped-def]
    posting = JobPostingFactory(title="고액 알바 현금 수거", description="하루 40만원 당일 지급, 현금 수거 업무")
    report = file_report(posting, "scam")
    return report.case


def template(code: str) -> ReasonTemplate:
    return ReasonTemplate.objects.get(code=code)
