"""Measuring devices for `bench/governance_run.py --part floor`: how fast could a ballot be on
this machine at all? Not part of the app (only bench/floor_settings.py routes here, on top of
bench/urls.py with the baseline `/bench/json`).

- `/bench/floor/drf-noop`: a DRF view that authenticates the caller exactly as the ballot
  endpoint does (the app's authentication classes, the X-Session-Token session) and returns
  `{"ok": true}`: the price of an authenticated DRF request with nothing else.
- `/bench/floor/ballot/<id>`: a yes/no ballot written by hand, the least work a correct ballot
  can be: the session from the cache, the user and member in one SQL query, then in one
  transaction the proposal's share lock, the state check, and a single statement that checks
  the electorate, upserts the ballot, appends the revision, marks the elector and writes the
  audit record; no DRF, no ORM, no serializer, no throttle, no idempotency, no on-commit
  notification. Only the fast path: any refusal answers a bare 409.
"""

import json
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.urls import urlpatterns as bench_urlpatterns
from governance.locks import PROPOSAL_LOCK_SPACE as _PROPOSAL_LOCK_SPACE
from governance.services import receipt_for

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


class DrfNoop(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def get(self, request):
        return Response({"ok": True})


_CAST = """
WITH elector AS (
    SELECT id, class_slug FROM governance_elector
    WHERE proposal_id = %(proposal)s AND member_id = %(member)s FOR UPDATE),
ballot AS (
    INSERT INTO governance_ballot (proposal_id, member_id, receipt, class_slug, choice,
                                   approvals, ranking, reason, cast_at, revision)
    SELECT %(proposal)s, %(member)s, %(receipt)s, class_slug, %(choice)s, '[]', '[]', '',
           now(), 1 FROM elector
    ON CONFLICT (proposal_id, member_id) DO UPDATE
        SET choice = EXCLUDED.choice, cast_at = EXCLUDED.cast_at,
            revision = governance_ballot.revision + 1
    RETURNING revision),
revision AS (
    INSERT INTO governance_ballotrevision (proposal_id, member_id, revision, choice, approvals,
                                           ranking, reason, cast_at)
    SELECT %(proposal)s, %(member)s, revision, %(choice)s, '[]', '[]', '', now() FROM ballot),
voted AS (
    UPDATE governance_elector SET voted_at = now() FROM elector
    WHERE governance_elector.id = elector.id),
audit AS (
    INSERT INTO coop_auditrecord (created_at, action, actor_id, actor_kind, object_type,
                                  object_id, facts, prev_hash, hash)
    SELECT now(), 'ballot.cast', %(user)s, 'user', 'proposal', %(proposal)s::text,
           jsonb_build_object('member_number', %(number)s::int, 'replaced', revision > 1),
           '', '' FROM ballot)
SELECT revision FROM ballot
"""


@csrf_exempt
def ballot(request, pk):
    session = SessionStore(request.headers.get("X-Session-Token"))
    user_id = session.get(SESSION_KEY)
    if user_id is None:
        return JsonResponse({"detail": "sign in"}, status=401)
    choice = json.loads(request.body).get("choice")
    if choice not in ("yes", "no", "abstain"):
        return JsonResponse({"detail": "choice"}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, m.id, m.member_number FROM coop_user u JOIN membership_member m "
            "ON m.user_id = u.id WHERE u.id = %s AND u.is_active AND m.status = 'active'",
            [user_id])
        person = cursor.fetchone()
    if person is None:
        return JsonResponse({"detail": "members only"}, status=403)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s::int4, %s::int4)",
                       [_PROPOSAL_LOCK_SPACE, pk])
        cursor.execute("SELECT 1 FROM governance_proposal WHERE id = %s AND status = 'voting' "
                       "AND closes_at > now()", [pk])
        if cursor.fetchone() is None:
            return JsonResponse({"detail": "not open"}, status=409)
        cursor.execute(_CAST, {"proposal": pk, "member": person[1], "user": person[0],
                               "number": person[2], "choice": choice,
                               "receipt": receipt_for(pk, person[1])})
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"detail": "not an elector"}, status=409)
    return JsonResponse({"receipt": receipt_for(pk, person[1])},
                        status=201 if row[0] == 1 else 200)


urlpatterns = [
    path("bench/floor/drf-noop", DrfNoop.as_view()),
    path("bench/floor/ballot/<int:pk>", ballot),
    *bench_urlpatterns,
]
