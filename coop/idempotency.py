"""`Idempotency-Key` for every POST that creates money movements, members or ballots.

The record is inserted in the same transaction as the work it guards. A duplicate arriving
while the first is still running blocks on the unique index (PostgreSQL) or the write lock
(SQLite) until the first commits, then replays the stored response; if the first failed and
rolled back, the duplicate simply runs. So one key can never create two payments.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from .api_auth import caller_id
from .api_errors import problem_response
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)  # API.md promises at least 24 h


def _request_hash(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(request, handler: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not key.strip() or len(key) > 200:
        return problem_response(400, "Invalid request",
                                f"{HEADER} must be 1 to 200 characters.", code="invalid",
                                errors={HEADER: ["Must be 1 to 200 characters."]})
    caller, path = caller_id(request), request.path
    request_hash = _request_hash(request.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    caller=caller, path=path, key=key, request_hash=request_hash, status_code=0
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(caller=caller, path=path, key=key)
            if existing.request_hash != request_hash:
                return problem_response(
                    409, "Idempotency key reused",
                    f"This {HEADER} was already used with a different request body.",
                    code="idempotency_mismatch",
                )
            replay = Response(existing.response_body, status=existing.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = handler()
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = json.loads(json.dumps(response.data, default=str))
            record.save(update_fields=["status_code", "response_body"])
        else:
            # Only successes are remembered: a corrected retry with the same key may run.
            transaction.set_rollback(True)
        return response


def idempotency_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
