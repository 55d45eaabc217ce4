"""Shorthands for tests: the jobs actions called with a list of one, keyword arguments in, the row or the
raised error out (``backoffice.actions.one``). No rule lives here; each line builds one action item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backoffice.actions import InvalidTransitionError, one
from backoffice.audit import Actor
from jobs.actions import accounts, applications, postings
from jobs.actions.common import PostingChange
from jobs.models import Application, Employer, JobPosting, MinimumWage, PostingStatus, Seeker

__all__ = ["InvalidTransitionError", "PostingChange"]


def employer_upsert(**kwargs: Any) -> Employer:
    return one(accounts.employers_upsert([accounts.EmployerUpsert(**kwargs)]))


def seeker_upsert(**kwargs: Any) -> Seeker:
    return one(accounts.seekers_upsert([accounts.SeekerUpsert(**kwargs)]))


def employer_set_account_status(*, employer: Employer, **kwargs: Any) -> Any:
    return one(accounts.accounts_set_status([accounts.AccountStatusChange(account=employer, **kwargs)]))


def seeker_set_account_status(*, seeker: Seeker, **kwargs: Any) -> Any:
    return one(accounts.accounts_set_status([accounts.AccountStatusChange(account=seeker, **kwargs)]))


def posting_create(
    *,
    actor: Actor,
    employer: Employer,
    external_id: str,
    occurred_at: dt.datetime | None = None,
    enforce_policy: bool = True,
    **values: Any,
) -> JobPosting:
    item = postings.PostingSave(
        actor=actor,
        employer=employer,
        external_id=external_id,
        values=values,
        occurred_at=occurred_at,
        enforce_policy=enforce_policy,
        mode=postings.SaveMode.CREATE,
    )
    return one(postings.postings_save([item]))


def posting_update(*, actor: Actor, posting: JobPosting, changes: dict[str, Any], **kwargs: Any) -> JobPosting:
    item = postings.PostingSave(
        actor=actor, external_id=posting.external_id, values=changes, mode=postings.SaveMode.UPDATE, **kwargs
    )
    return one(postings.postings_save([item]))


def posting_change_status(**kwargs: Any) -> JobPosting:
    (outcome,) = postings.postings_change_status([postings.PostingStatusChange(**kwargs)])
    if outcome.value is None and outcome.error is None:
        return kwargs["posting"]
    return one([outcome])


def posting_publish(*, actor: Actor, posting: JobPosting, note: str = "") -> JobPosting:
    return posting_change_status(actor=actor, posting=posting, status=PostingStatus.PUBLISHED, note=note)


def posting_close(*, actor: Actor, posting: JobPosting, reason: str, **kwargs: Any) -> JobPosting:
    return posting_change_status(
        actor=actor, posting=posting, status=PostingStatus.CLOSED, close_reason=reason, **kwargs
    )


def posting_expire_due(**kwargs: Any) -> int:
    return postings.postings_expire_due(**kwargs)


def minimum_wage_set(**kwargs: Any) -> MinimumWage:
    return one(postings.minimum_wages_set([postings.MinimumWageSet(**kwargs)]))


def application_submit(*, actor: Actor, posting: JobPosting, seeker: Seeker, **kwargs: Any) -> Application:
    item = applications.ApplicationSubmit(
        actor=actor, posting_external_id=posting.external_id, seeker_external_id=seeker.external_id, **kwargs
    )
    return one(applications.applications_submit([item]))


def application_change_status(*, actor: Actor, application: Application, status: str, **kwargs: Any) -> Application:
    item = applications.ApplicationStatusChange(
        actor=actor, external_id=application.external_id, status=status, **kwargs
    )
    return one(applications.applications_change_status([item]))
