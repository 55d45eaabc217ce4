"""``POST /events/``: the HTTP transport of EVENTS.md (works with the embedded default, no Redis needed)."""

from __future__ import annotations

import contextlib
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from backoffice.events.consumer import batch_contexts
from backoffice.events.processor import APPLIED, DUPLICATE, PARKED, RawItem, process_batch
from backoffice.events.tokens import authenticate
from backoffice.models import ApiScope, Transport

MAX_EVENTS = 500


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # token-authenticated machine endpoint: no cookies, no CSRF surface
@require_POST
def events_endpoint(request: HttpRequest) -> JsonResponse:
    token = authenticate(request.headers.get("Authorization", ""))
    if token is None:
        return _error(401, "a valid Authorization: Bearer <token> header is required")
    if not token.has_scope(ApiScope.EVENTS_WRITE):
        return _error(403, "this token lacks the events:write scope")
    limit = settings.EVENTS_HTTP_MAX_BODY
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _error(413, f"body over {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"body over {limit} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, 'the body must be JSON: {"events": [...]}')
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return _error(400, 'the body must be JSON: {"events": [...]}')
    events = data["events"]
    if len(events) > MAX_EVENTS:
        return _error(413, f"at most {MAX_EVENTS} events per request, got {len(events)}")
    request_id = getattr(request, "request_id", "")
    # As the stream consumer: the batch's postings are screened together after the commit.
    with contextlib.ExitStack() as hooks:
        for context in batch_contexts():
            hooks.enter_context(context())
        outcomes = process_batch(
            [RawItem(raw=event, ref=f"http:{request_id[:40]}:{index}") for index, event in enumerate(events)],
            transport=Transport.HTTP,
        )
    return JsonResponse(
        {
            # Parked events are accepted: they are stored and will be applied when their entity arrives.
            "accepted": sum(1 for o in outcomes if o.status in (APPLIED, PARKED)),
            "duplicates": sum(1 for o in outcomes if o.status == DUPLICATE),
            "rejected": [
                {"index": index, "event_id": o.event_id, "error": o.error}
                for index, o in enumerate(outcomes)
                if o.status not in (APPLIED, PARKED, DUPLICATE)
            ],
        }
    )
