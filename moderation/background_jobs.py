"""Moderation's long admin actions, run by ``backoffice.background`` with progress.

- ``moderation.bulk_decision``: a bulk decision over more cases than a request should handle. Each case goes
  through ``decisions.case_decide`` exactly as from the case page (permissions, claims, the version the
  moderator confirmed); a case this job already decided (a rerun after a worker died) is counted, not
  decided twice.
- ``moderation.rule_dry_run``: ``screening.dry_run`` over a window larger than the request allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.background import Progress, handler
from backoffice.models import BackgroundJob
from moderation import screening
from moderation.actions import decisions
from moderation.models import Case, Decision, ReasonTemplate, Rule

BULK_DECISION = "moderation.bulk_decision"
RULE_DRY_RUN = "moderation.rule_dry_run"
CHUNK = 200
MAX_LISTED = 200


def _message(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("Permission denied.")


@handler(BULK_DECISION)
def bulk_decision(job: BackgroundJob, progress: Progress) -> Mapping[str, Any]:
    params = job.params
    user = job.requested_by
    pairs: list[tuple[int, int]] = [(int(pk), int(version)) for pk, version in params["cases"]]
    template = (
        ReasonTemplate.objects.filter(pk=params.get("template_id")).first() if params.get("template_id") else None
    )
    progress.total(len(pairs), _("Deciding cases…"))
    decided = already = 0
    refused: list[list[Any]] = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        ids = [pk for pk, _version in chunk]
        cases = Case.objects.select_related("posting__employer", "employer", "seeker", "claimed_by").in_bulk(ids)
        # Decided by this job before a worker died and the job started again: done, not refused as stale.
        ours = set(
            Decision.objects.filter(
                case_id__in=ids, moderator=user, action=params["action"], created_at__gte=job.created_at
            ).values_list("case_id", flat=True)
        )
        for pk, version in chunk:
            case = cases.get(pk)
            if pk in ours:
                already += 1
            elif case is None:
                refused.append([f"#{pk}", _("The case no longer exists.")])
            else:
                try:
                    decisions.case_decide(
                        user=user,
                        case=case,
                        request=decisions.DecisionRequest(
                            action=params["action"],
                            expected_version=version,
                            reason_template=template,
                            note=params.get("note", ""),
                        ),
                    )
                    decided += 1
                except (ValidationError, PermissionDenied) as exc:
                    refused.append(
                        [{"text": f"#{pk}", "url": reverse("admin:moderation_case_change", args=[pk])}, _message(exc)]
                    )
            progress.advance()
    summary = [
        _("%(done)d of %(total)d cases decided.") % {"done": decided + already, "total": len(pairs)},
        _("%(count)d refused (changed since you confirmed, claimed by someone else, or not yours to decide).")
        % {"count": len(refused)},
    ]
    return {
        "decided": decided + already,
        "refused": len(refused),
        "summary": summary,
        "tables": [{"title": _("Refused"), "columns": [_("Case"), _("Why")], "rows": refused[:MAX_LISTED]}]
        if refused
        else [],
    }


@handler(RULE_DRY_RUN)
def rule_dry_run(job: BackgroundJob, progress: Progress) -> Mapping[str, Any]:
    params = job.params
    rules = list(Rule.objects.filter(pk__in=params["rule_ids"]).order_by("name"))

    def report_progress(done: int, total: int) -> None:
        if progress.job.total != total:
            progress.total(total, _("Evaluating postings…"))
        progress.update(done)

    report = screening.dry_run(
        rules=rules, days=int(params["days"]), limit=int(params["limit"]), progress=report_progress
    )
    rows = [
        [
            result.rule.name,
            result.hits,
            f"{100 * report.rate(result):.2f} %",
            result.removed,
            result.failures,
            result.error,
        ]
        for result in report.results
    ]
    examples = [
        [
            result.rule.name,
            {"text": example.posting.title, "url": reverse("admin:jobs_jobposting_change", args=[example.posting.pk])},
            example.hit.summary,
        ]
        for result in report.results
        for example in result.examples[:20]
    ]
    return {
        "scanned": report.scanned,
        "summary": [
            _("%(count)d postings created in the last %(days)d days scanned in %(seconds).1f s%(more)s.")
            % {
                "count": report.scanned,
                "days": report.days,
                "seconds": report.seconds,
                "more": _(" (the newest ones; more exist)") if report.truncated else "",
            }
        ],
        "tables": [
            {
                "title": _("What the rules would have flagged"),
                "columns": [_("Rule"), _("Hits"), _("Rate"), _("Now hidden or rejected"), _("Failures"), _("Error")],
                "rows": rows,
            },
            {"title": _("Examples"), "columns": [_("Rule"), _("Posting"), _("Evidence")], "rows": examples},
        ],
    }
