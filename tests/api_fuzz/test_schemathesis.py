"""Schemathesis over the whole OpenAPI schema (issue #8, "Tests that must exist").

Every operation the served schema (`/api/v1/schema/`) holds becomes one test per identity – a
`*` partner key, a read-only key (every `:read` scope) and a member's app token – so an
endpoint another app adds is fuzzed without editing this file. Each test sends positive and
negative (schema-violating) cases through the WSGI app, in the test's own transaction on the
PostgreSQL test database, and runs the six checks below: no 5xx, only documented statuses,
content types and headers, bodies that match their schema, and schema-violating input refused.

Path parameters are fuzzed, and in positive cases half the time replaced by ids that exist
(found by listing the collection they belong to, e.g. `GET /api/v1/proposals/` for
`/proposals/{id}/`), so the cases reach the code behind the 404.

Bounded so that CI stays quick; to run it longer (docs/operations.md, "Fuzzing the API
longer"):
    SCHEMATHESIS_MAX_EXAMPLES=500 SCHEMATHESIS_SEED=7 make test PYTEST_ARGS=tests/api_fuzz
"""

import os
import re
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261201"))
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance",
          "negative_data_rejection"]
SCHEMA_PATH = "/api/v1/schema/"

config = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {
        "mode": "all",  # positive and negative cases
        "max-examples": MAX_EXAMPLES,
        # The identity is the test's parameter: no generated Authorization, cookie or token.
        "with-security-parameters": False,
    },
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
})


@contextmanager
def _connection_kept():
    """Keep Django from closing the test's connection (and so its open transaction) at the
    start and end of each request, as Django's test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def app(environ, start_response, _django=WSGIHandler()):
    """Django's WSGI application, answering inside the test's transaction on PostgreSQL."""
    with _connection_kept():
        response = _django(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()  # sends request_finished, still without closing the connection


# Loaded from the served schema, as a partner would; Django is set up before collection.
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, app, config=config)

pytestmark = [pytest.mark.postgres, pytest.mark.schemathesis]


# --- the world the cases run against ------------------------------------------------------

IDENTITIES = ["star_key", "read_key", "member_token"]
PASSWORD = "correct horse battery"  # tests.membership.factories.UserFactory's


@pytest.fixture
def world(db, request):
    """A small cooperative with something in every state an operation acts on: members
    paid, part-paid and pending, proposals draft, in discussion, voting, closed and secret,
    a comment, a notice; and the three identities' credentials. The operations on the books
    get books too (`_books`)."""
    from rest_framework.test import APIClient

    from coop.models import PartnerApiKey
    from governance import services as gov
    from membership import services as membership_services
    from tests.governance.helpers import close, proposal, voting
    from tests.membership.factories import (
        REGISTRAR,
        ApplicationFactory,
        StakeholderClassFactory,
        UserFactory,
        make_member,
    )

    paid_class = StakeholderClassFactory(slug="photographers", name="Photographers")
    me = make_member(stakeholder_class=paid_class, paid=True)
    others = [make_member(stakeholder_class=paid_class, paid=True) for _ in range(2)]
    part_paid = make_member(stakeholder_class=paid_class)
    membership_services.share_payment_record(
        member=part_paid, amount_minor=paid_class.share_price_minor, paid_on=part_paid.joined_on,
        reference="first", actor=REGISTRAR)
    ApplicationFactory(user=UserFactory(), stakeholder_class=paid_class)

    proposal(author=me, draft=True, title="My draft")
    proposal(author=me, title="In discussion")
    open_vote = voting(title="Open vote")
    gov.comment_post(proposal=open_vote, member=me, body="Why a cargo bike?")
    closing = voting(title="Closed vote")
    for member in [me, *others]:
        gov.ballot_cast(proposal=closing, member=member, choice="yes")
    close(closing)
    secret = voting(title="Secret vote", secret=True)
    gov.ballot_cast(proposal=secret, member=others[0], choice="no")
    close(secret)
    voting(title="Ranked vote", method="ranked")
    KNOWN.clear()
    UNLISTED.clear()
    if BOOKS.search(request.node.name):  # the test's id names its operation's path
        _books(paid_class)

    login = APIClient().post("/_allauth/app/v1/auth/login",
                             {"email": me.user.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    reads = [scope for scope in PartnerApiKey.SCOPES if scope.endswith(":read")]
    _, star = PartnerApiKey.objects.create_key(name="fuzz *", scopes=["*"])
    _, read = PartnerApiKey.objects.create_key(name="fuzz read", scopes=reads)
    headers = {
        "star_key": {"Authorization": f"Api-Key {star}"},
        "read_key": {"Authorization": f"Api-Key {read}"},
        "member_token": {"X-Session-Token": login.json()["meta"]["session_token"]},
    }
    KNOWN["star_key"] = headers["star_key"]
    return headers


# The operations that read or write the books, the surplus distribution or vitality: only
# theirs get books (0.4 s a test, more than the rest of the world).
BOOKS = re.compile(r"ledger|periods|dividend-runs|statements|capital-account|payout-account"
                   r"|contributions|allocation-policies|vitality|surveys")


def _books(klass):
    """Books with something in them: a member since 2025 with capital and contributions, the
    2025 period closed with a surplus and its dividend run posted (statements, allocations,
    payables, entries), and last month's vitality snapshot."""
    from datetime import date

    from django.utils import timezone

    from patronage import services as patronage
    from tests.patronage.factories import PATRONAGE_JOB, closed_period, imported, make_policy
    from vitality import services as vitality
    from vitality.months import add_months, current_month

    veteran = imported(900, klass, date(2025, 1, 1), 2, (10_000, date(2025, 1, 1)))
    make_policy(class_shares_bp={"photographers": 10_000})
    patronage.contribution_record(actor=PATRONAGE_JOB, member=veteran, date=date(2025, 6, 1),
                                  quantity="12", external_id="fuzz-1")
    period = closed_period(revenue=300_000, expenses=100_000)
    run = patronage.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    patronage.dividend_run_compute(run_id=run.pk, attempt=run.attempt)
    run.refresh_from_db()
    patronage.dividend_run_approve(actor=PATRONAGE_JOB, run=run, on=date(2026, 1, 15))
    UNLISTED["/api/v1/dividend-runs/"] = [{"id": run.pk}]
    vitality.snapshot_refresh(month=add_months(current_month(), -1), now=timezone.now())


# --- path parameters that exist -----------------------------------------------------------

# path template -> the parameter sets that exist, found once per test (see `existing`).
KNOWN: dict = {}
# Collections the API does not list (POST only, as API.md has `dividend-runs/`): the items the
# world made, as a list would show them.
UNLISTED: dict = {}
PARAM = re.compile(r"\{(\w+)\}")


def existing(path: str) -> list[dict]:
    """Parameter sets of `path` that name real objects: walk the template; at each `{name}`
    list the collection before it (with the `*` key) and take each item's `name` field. Works
    for any new collection that lists its items under the field its path parameter names."""
    if path in KNOWN:
        return KNOWN[path]
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=KNOWN["star_key"]["Authorization"])
    found = [({}, "")]
    for piece in re.split(r"(\{\w+\})", path):
        name = PARAM.fullmatch(piece)
        if not name:
            found = [(params, prefix + piece) for params, prefix in found]
            continue
        deeper = []
        for params, prefix in found[:6]:
            response = client.get(prefix)
            body = response.json() if response.status_code == 200 else UNLISTED.get(prefix, [])
            # A page `{next, previous, results}`, or a list that is not paginated.
            items = body.get("results", []) if isinstance(body, dict) else body
            for item in items[:6]:
                if isinstance(item, dict) and name[1] in item:
                    value = item[name[1]]
                    deeper.append(({**params, name[1]: value}, prefix + str(value)))
        found = deeper
    KNOWN[path] = [params for params, _ in found]
    return KNOWN[path]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    # Only a positive case's parameters (all integers, as the schema says) are replaced: a
    # negative case's are the schema-violating input it is about.
    if not path_parameters or not all(type(v) is int for v in path_parameters.values()):
        return st.just(path_parameters)
    real = existing(context.operation.path)
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(real))


# --- the test -----------------------------------------------------------------------------

@pytest.mark.parametrize("identity", IDENTITIES)
@schema.parametrize()
@settings(deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api(case, identity, world):
    case.call_and_validate(headers=world[identity])


def test_every_operation_of_the_schema_is_fuzzed():
    """The parametrisation above covers what the schema serves (no filter drops any)."""
    from drf_spectacular.generators import SchemaGenerator

    generated = SchemaGenerator().get_schema(request=None, public=True)
    served = {f"{op.method.upper()} {op.path}"
              for op in (r.ok() for r in schema.get_all_operations())}
    assert served == {f"{method.upper()} {path}"
                      for path, operations in generated["paths"].items()
                      for method in operations}
    assert len(served) >= 30


def test_the_operations_on_the_books_get_real_runs_statements_and_snapshots(world):
    """(Its name says "statements", so `world` builds the books.) The path parameters the
    fuzzer draws name a posted run, a member's statement and a snapshot, not only ids that do
    not exist."""
    runs = existing("/api/v1/dividend-runs/{id}/allocations/")
    statements = existing("/api/v1/members/{member_number}/statements/{period}/")
    snapshots = existing("/api/v1/vitality/snapshots/{month}/")
    assert runs and statements and snapshots
    assert 900 in {params["member_number"] for params in statements}
