"""URLconf for ``bench/graphql.py``: the product's URLs plus the baseline the GraphQL API is compared with.

``GET /bench/postings/`` answers what ``jobPostings(first: 50) { edges { node { id externalId title status
wageAmount applicationCount employer { externalId businessName } } } }`` answers, the same JSON document, the
fastest plain-Django way: one ``.values()`` query (the employer joined) and ``JsonResponse``. It authenticates the
same way (``backoffice.events.tokens.authenticate``: the token lookup and its ``last_used_at`` update) and checks
the same scope, so both endpoints do the same auth work and the same SQL round trips.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from graphql_relay import to_global_id

from backoffice.events.tokens import authenticate
from backoffice.models import ApiScope
from backoffice.urls import urlpatterns as backoffice_urlpatterns
from jobs.models import JobPosting

PAGE_SIZE = 50
FIELDS = (
    "id", "external_id", "title", "status", "wage_amount", "application_count", "employer__external_id",
    "employer__business_name",
)  # fmt: skip


@require_GET
def postings_baseline(request: HttpRequest) -> JsonResponse:
    token = authenticate(request.headers.get("Authorization", ""))
    if token is None:
        return JsonResponse({"errors": [{"message": "Unauthenticated."}]}, status=401)
    if ApiScope.JOBS_READ not in token.scopes:
        return JsonResponse({"errors": [{"message": "Forbidden."}]}, status=403)
    rows = JobPosting.objects.order_by("-created_at", "-id").values(*FIELDS)[:PAGE_SIZE]
    edges = [
        {
            "node": {
                "id": to_global_id("JobPosting", row["id"]),
                "externalId": row["external_id"],
                "title": row["title"],
                # GraphQL serialises a choice as its enum name: the value in upper case.
                "status": row["status"].upper(),
                "wageAmount": row["wage_amount"],
                "applicationCount": row["application_count"],
                "employer": {
                    "externalId": row["employer__external_id"],
                    "businessName": row["employer__business_name"],
                },
            }
        }
        for row in rows
    ]
    return JsonResponse({"data": {"jobPostings": {"edges": edges}}})


urlpatterns = [*backoffice_urlpatterns, path("bench/postings/", postings_baseline, name="bench-postings")]
