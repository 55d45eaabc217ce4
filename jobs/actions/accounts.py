"""Employers and seekers: registration and updates from the marketplace or staff, account status.

One implementation per write, over a list: the consumer passes a batch, the admin a list of one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.actions import DomainError, Outcome
from backoffice.audit import Actor, snapshot
from jobs.actions.common import (
    ACCOUNT_FIELDS,
    EMPLOYER_FIELDS,
    SEEKER_FIELDS,
    Audits,
    Tracked,
    by_occurrence,
    clean_fields,
    is_stale,
    locked_by,
)
from jobs.models import AccountStatus, Employer, Seeker, VerificationStatus

Account = Employer | Seeker


@dataclass(frozen=True)
class EmployerUpsert:
    actor: Actor
    external_id: str
    business_name: str
    region_code: str
    phone: str = ""
    business_number: str = ""
    verified: bool = False
    occurred_at: dt.datetime | None = None

    def values(self) -> dict[str, Any]:
        return {
            "business_name": self.business_name,
            "business_number": self.business_number or "",
            "phone": self.phone or "",
            "region_code": self.region_code,
            "verification_status": VerificationStatus.VERIFIED if self.verified else VerificationStatus.UNVERIFIED,
        }


@dataclass(frozen=True)
class SeekerUpsert:
    actor: Actor
    external_id: str
    display_name: str
    region_code: str
    phone: str = ""
    birth_year: int | None = None
    occurred_at: dt.datetime | None = None

    def values(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "phone": self.phone or "",
            "birth_year": self.birth_year,
            "region_code": self.region_code,
        }


def _upsert(
    model: type[Account],
    items: Sequence[EmployerUpsert] | Sequence[SeekerUpsert],
    fields: tuple[str, ...],
    noun: str,
    on_applied: Callable[[Any, Any, Tracked[Any]], None] | None = None,
) -> list[Outcome[Any]]:
    """Register unknown accounts, update known ones from newer items; the newest ``occurred_at`` wins."""
    rows = locked_by(model, "external_id", (item.external_id for item in items))
    tracked: Tracked[Any] = Tracked()
    audits = Audits()
    outcomes: list[Outcome[Any]] = [Outcome.unchanged(None)] * len(items)
    now = timezone.now()
    for index in by_occurrence(items, lambda item: item.occurred_at):
        item = items[index]
        values = item.values()
        row = rows.get(item.external_id)
        if row is None:
            row = model(external_id=item.external_id, source_updated_at=item.occurred_at, **values)
            if isinstance(row, Seeker):
                row.last_active_at = item.occurred_at or now
            try:
                clean_fields(row)
            except DomainError as error:
                outcomes[index] = Outcome.rejected(error)
                continue
            rows[item.external_id] = row
            tracked.add(row)
            audits.add(actor=item.actor, action=f"{noun}.registered", target=row, after=snapshot(row, fields))
            outcomes[index] = Outcome.applied(row)
            continue
        if is_stale(row.source_updated_at, item.occurred_at):
            outcomes[index] = Outcome.unchanged(row)
            continue
        before = snapshot(row, fields)
        saved = {name: getattr(row, name) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        try:
            clean_fields(row)
        except DomainError as error:
            for name, value in saved.items():
                setattr(row, name, value)
            outcomes[index] = Outcome.rejected(error)
            continue
        row.source_updated_at = item.occurred_at or row.source_updated_at
        tracked.touch(row, "source_updated_at", *values)
        if on_applied is not None:
            on_applied(row, item, tracked)
        after = snapshot(row, fields)
        if before != after:
            audits.add(actor=item.actor, action=f"{noun}.updated", target=row, before=before, after=after)
            outcomes[index] = Outcome.applied(row)
        else:
            outcomes[index] = Outcome.unchanged(row)
    tracked.write(model, now)
    audits.write()
    return outcomes


@transaction.atomic
def employers_upsert(items: Sequence[EmployerUpsert]) -> list[Outcome[Employer]]:
    """Register employers, or update them from newer marketplace events (or a staff edit)."""
    return _upsert(Employer, items, EMPLOYER_FIELDS, "employer")


def _seeker_active(seeker: Seeker, item: SeekerUpsert, tracked: Tracked[Any]) -> None:
    if item.occurred_at and item.occurred_at > seeker.last_active_at:
        seeker.last_active_at = item.occurred_at
        tracked.touch(seeker, "last_active_at")


@transaction.atomic
def seekers_upsert(items: Sequence[SeekerUpsert]) -> list[Outcome[Seeker]]:
    """Register seekers, or update them from newer events; a newer event counts as the seeker's activity."""
    return _upsert(Seeker, items, SEEKER_FIELDS, "seeker", on_applied=_seeker_active)


@dataclass(frozen=True)
class AccountStatusChange:
    actor: Actor
    account: Account
    status: str
    until: dt.datetime | None = None
    note: str = ""


def check_account_status(status: str, until: dt.datetime | None, now: dt.datetime) -> None:
    """The rules of an account status, for every entry point (sanctions, staff, undo)."""
    if status not in AccountStatus.values:
        raise DomainError({"account_status": _("Unknown account status %(status)r.") % {"status": status}})
    if status == AccountStatus.SUSPENDED and until is None:
        raise DomainError({"suspended_until": _("A suspension needs an end time.")})
    if status == AccountStatus.SUSPENDED and until is not None and until <= now:
        raise DomainError({"suspended_until": _("A suspension must end in the future.")})


@transaction.atomic
def accounts_set_status(items: Sequence[AccountStatusChange]) -> list[Outcome[Account]]:
    """Suspend, ban or reinstate employers and seekers (sanctions in moderation call this)."""
    now = timezone.now()
    locked: dict[tuple[type[Account], int], Account] = {}
    for model in (Employer, Seeker):
        for row in locked_by(model, "pk", (i.account.pk for i in items if isinstance(i.account, model))).values():
            locked[(model, row.pk)] = row
    tracked = {Employer: Tracked[Any](), Seeker: Tracked[Any]()}
    audits = Audits()
    outcomes: list[Outcome[Account]] = []
    for item in items:
        model = type(item.account)
        account = locked[(model, item.account.pk)]
        try:
            check_account_status(item.status, item.until, now)
        except DomainError as error:
            outcomes.append(Outcome.rejected(error))
            continue
        before = snapshot(account, ACCOUNT_FIELDS)
        account.account_status = item.status
        account.suspended_until = item.until if item.status == AccountStatus.SUSPENDED else None
        after = snapshot(account, ACCOUNT_FIELDS)
        if before == after:
            outcomes.append(Outcome.unchanged(account))
            continue
        tracked[model].touch(account, *ACCOUNT_FIELDS)
        noun = "employer" if model is Employer else "seeker"
        audits.add(
            actor=item.actor,
            action=f"{noun}.account_status_changed",
            target=account,
            before=before,
            after=after,
            note=item.note,
        )
        outcomes.append(Outcome.applied(account))
    for model, rows in tracked.items():
        rows.write(model, now)
    audits.write()
    return outcomes
