"""Governance benchmarks on an electorate of 100,000 active members (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_gov \\
        .venv/bin/python bench/governance_run.py [--part services|api|all] [--requests 20000]

The database must hold the members of bench/governance_generate.py. Parts:

services  proposal_open (freezing the electorate: one INSERT ... SELECT) and proposal_close with
          a ballot from every elector, for each method (yes_no in member and class_weighted mode,
          secret consent, approval with 2 seats, ranked instant-runoff, ranked STV with 3 seats).
          The ballots are bulk-inserted in SQL (one INSERT ... SELECT from the electors, with
          `Elector.voted_at` set by one UPDATE): what 100,000 calls of ballot_cast would leave,
          except the receipts (md5 stand-ins: the close does not read them) and the audit
          records of the casts. Each call is timed wall-clock in this process, commit included,
          with its SQL query count (CaptureQueriesContext). The notification a call queues on
          commit is not sent here (the worker sends it; it is not part of the service's time).
api       POST /api/v1/proposals/{id}/ballots/ under gunicorn on 127.0.0.1 (4 workers, DEBUG=false,
          no HTTPS redirect, throttles raised out of the way) at 16 connections, each connection a
          different member signed in with an allauth app session token (X-Session-Token; 16
          through POST /_allauth/app/v1/auth/login, the rest minted the way that login stores
          them: a session row holding the user). Two runs: first ballots (every request a
          member who has not voted yet: 201) and changed ballots (each connection's member
          votes again and again: 200, one more BallotRevision each time). The baseline is the
          bare JSON view GET /bench/json, measured in the same run with the same driver, before
          and after. The load driver is wrk (Debian's package) with a Lua script, one thread per
          connection, for `--duration` seconds after a warm-up (wrk has no request-count mode);
          latencies are wrk's (client side, queueing for a worker included) and the server
          times come from gunicorn's access log (%(D)s, the worker's time on the request).
floor     How fast could a ballot be on this machine at all? The same server, but with the
          measuring endpoints of bench/floor_urls.py routed in (bench/floor_settings.py): the
          baseline, an authenticated DRF view that does nothing, a hand-written yes/no ballot
          (raw SQL, no DRF, no ORM: the least work a correct ballot can be), the API's
          ballot endpoint, the baseline again; then the hand-written ballot's SQL alone under
          pgbench (4 clients), when pgbench is installed.

Results are printed as JSON lines (prefix RESULT) for docs/benchmarks.md.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server_env import server_env  # noqa: E402

SERVER_ENV = server_env(
    ACCOUNT_EMAIL_VERIFICATION="none",
    # As in production: the cache (API throttles) in Redis. Without it the throttle's
    # file-based cache globbed and culled its folder on every request.
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
)
os.environ.update(SERVER_ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.cached_db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from coop.actors import BENCHMARK  # noqa: E402
from governance import services, tasks  # noqa: E402
from governance.models import (  # noqa: E402
    Ballot,
    BallotRevision,
    Elector,
    Proposal,
    SecretBallot,
)
from membership.models import Member  # noqa: E402

CONNECTIONS = 16
PORT = 8011

# --- services -------------------------------------------------------------------------------


class _NoDelay:
    """Stands in for `.delay` while timing: the notifications are the worker's work."""

    def __init__(self):
        self.calls = []

    def __call__(self, *args):
        self.calls.append(args)


def timed(call):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
    return result, seconds, len(queries)


def new_proposal(title, **rules) -> Proposal:
    """A proposal whose discussion period (general: 48 h) is over, so voting opens now."""
    now = timezone.now()
    began = now - timedelta(hours=48, minutes=1)
    return services.proposal_create(actor=BENCHMARK, title=title, body="Benchmark proposal.",
                                    closes_at=now + timedelta(days=4), now=began, **rules)


def _patterns(option_ids: list[int], method: str) -> list[str]:
    """A spread of ballots: rankings of every length and order, or subsets to approve."""
    import itertools

    patterns = []
    if method == "ranked":
        for length in range(1, len(option_ids) + 1):
            patterns += [list(p) for p in itertools.permutations(option_ids, length)][:40]
    else:
        for length in range(0, 3):
            patterns += [list(c) for c in itertools.combinations(option_ids, length)]
    return [json.dumps(p) for p in patterns]


def fill_ballot_box(proposal: Proposal) -> int:
    """A ballot from every elector, as bulk SQL (see the module docstring)."""
    elector = Elector._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if proposal.uses_options:
            ids = list(proposal.options.values_list("pk", flat=True))
            patterns = _patterns(ids, proposal.method)
            field = "ranking" if proposal.method == "ranked" else "approvals"
            # Weighted towards the first options so that rounds and ties happen.
            content = (f"(%s::jsonb[])[1 + ((e.member_id * 7919) %% {len(patterns)})]", [patterns])
            columns = {"choice": "''", "approvals": "'[]'::jsonb", "ranking": "'[]'::jsonb"}
            columns[field] = content[0]
            params = content[1]
        else:
            choices = ["yes", "yes", "no", "abstain"] if proposal.method == "yes_no" else [
                "agree", "agree", "disagree", "abstain"]
            columns = {"choice": f"(%s::text[])[1 + (e.member_id %% {len(choices)})]",
                       "approvals": "'[]'::jsonb", "ranking": "'[]'::jsonb"}
            params = [choices]
        receipt = "md5(e.member_id::text || 'r') || md5(e.member_id::text || 's')"
        if proposal.secret:
            cursor.execute(
                f"INSERT INTO {SecretBallot._meta.db_table} (id, proposal_id, receipt, "
                f"class_slug, choice, approvals, ranking, reason) SELECT gen_random_uuid(), "
                f"e.proposal_id, {receipt}, e.class_slug, {columns['choice']}, "
                f"{columns['approvals']}, {columns['ranking']}, '' FROM {elector} e "
                f"WHERE e.proposal_id = %s", [*params, proposal.pk])
        else:
            for table, extra_cols, extra_vals in [
                    (Ballot._meta.db_table, "class_slug, receipt, ", f"e.class_slug, {receipt}, "),
                    (BallotRevision._meta.db_table, "", "")]:
                cursor.execute(
                    f"INSERT INTO {table} (proposal_id, member_id, {extra_cols}choice, "
                    f"approvals, ranking, reason, cast_at, revision) SELECT e.proposal_id, "
                    f"e.member_id, {extra_vals}{columns['choice']}, {columns['approvals']}, "
                    f"{columns['ranking']}, '', now(), 1 FROM {elector} e "
                    f"WHERE e.proposal_id = %s", [*params, proposal.pk])
        cursor.execute(f"UPDATE {elector} SET voted_at = now() WHERE proposal_id = %s",  # noqa: S608
                       [proposal.pk])
        cursor.execute(f"ANALYZE {elector}")
        return cursor.rowcount


CASES = [
    ("yes_no, member", {"method": "yes_no"}),
    ("yes_no, class_weighted", {"method": "yes_no", "tally_mode": "class_weighted"}),
    ("consent, secret", {"method": "consent", "secret": True}),
    ("approval, 2 of 4 seats", {"method": "approval", "seats": 2,
                                "options": ["North", "South", "East", "West"]}),
    ("ranked IRV, 5 options", {"method": "ranked",
                               "options": ["Ana", "Ben", "Cho", "Dev", "Eli"]}),
    ("ranked STV, 3 of 6 seats", {"method": "ranked", "seats": 3,
                                  "options": ["Ana", "Ben", "Cho", "Dev", "Eli", "Fay"]}),
]


def bench_services() -> list[dict]:
    electorate = Member.objects.filter(status=Member.Status.ACTIVE).count()
    print(f"electorate: {electorate} active members", flush=True)
    stub = _NoDelay()
    tasks.notify_electors.delay = stub
    results = []
    for label, rules in CASES:
        proposal = new_proposal(f"Bench {label}", **rules)
        opened, open_s, open_q = timed(
            lambda p=proposal: services.proposal_open(proposal=p, actor=BENCHMARK))
        assert opened.electorate_size == electorate
        fill_ballot_box(proposal)
        proposal.refresh_from_db()
        closed, close_s, close_q = timed(lambda p=proposal: services.proposal_close(
            proposal=p, actor=BENCHMARK, by_deadline=True, now=p.closes_at + timedelta(seconds=1)))
        assert closed is not None and closed.ballots_cast == electorate, closed
        row = {"case": label, "electorate": electorate, "open_s": round(open_s, 3),
               "open_queries": open_q, "close_s": round(close_s, 3), "close_queries": close_q,
               "outcome": closed.outcome, "winners": closed.result["winners"],
               "rounds": len(closed.result["rounds"])}
        print("RESULT " + json.dumps(row), flush=True)
        results.append(row)
    return results


# --- API --------------------------------------------------------------------------------------

LUA = """
local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tokens", os.getenv("BENCH_TOKENS_" .. counter) or "")
  table.insert(threads, thread)
end
function init(args)
  count = 0; bad = 0; statuses = {}
  list = {}
  for t in string.gmatch(tokens, "[^,]+") do table.insert(list, t) end
end
function request()
  local headers = {}
  if #list > 0 then
    headers["X-Session-Token"] = list[(count % #list) + 1]
  end
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("GET", nil, headers)
end
function response(status, headers, body)
  count = count + 1
  if status >= 300 then bad = bad + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bad": %d, "socket_errors": %d, ' ..
    '"client_p50_ms": %.2f, "client_p95_ms": %.2f, "client_p99_ms": %.2f, ' ..
    '"client_max_ms": %.2f}\\n',
    summary.requests, summary.duration, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def start_server(workers: int, log: Path, settings_module="bench.settings") -> subprocess.Popen:
    env = os.environ | SERVER_ENV | {"DJANGO_SETTINGS_MODULE": settings_module}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "coop.wsgi:application", "-b", f"127.0.0.1:{PORT}",
         "-w", str(workers), "--access-logfile", str(log),
         "--access-logformat", "%(m)s %(U)s %(s)s %(D)s", "--log-level", "warning",
         "--no-control-socket"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    sys.exit("gunicorn did not start")


def login_token(email: str) -> str:
    """An app session token through allauth's headless login, as an app client gets one."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/_allauth/app/v1/auth/login", method="POST",
        data=json.dumps({"email": email, "password": "bench-password"}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["meta"]["session_token"]


def mint_tokens(members: list[Member]) -> list[str]:
    """What the login above stores, for many members at once: a session holding the user."""
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    rows = [Session(session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
                    session_data=store.encode({
                        SESSION_KEY: str(m.user_id),
                        BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                        HASH_SESSION_KEY: m.user.get_session_auth_hash()}),
                    expire_date=expires) for m in members]
    Session.objects.bulk_create(rows, batch_size=5000)
    return [row.session_key for row in rows]


def server_times(log: Path, offset: int) -> list[float]:
    with log.open() as f:
        f.seek(offset)
        return [int(line.split()[-1]) / 1000 for line in f if line.strip()]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def load(path: str, duration: int, log: Path, script: Path, *, method="GET", body="",
         tokens: list[list[str]] | None = None, warmup=True) -> dict:
    url = f"http://127.0.0.1:{PORT}{path}"
    env = os.environ | {"BENCH_METHOD": method, "BENCH_BODY": body}
    for i, chunk in enumerate(tokens or [], start=1):
        env[f"BENCH_TOKENS_{i}"] = ",".join(chunk)
    args = ["wrk", "-t", str(CONNECTIONS), "-c", str(CONNECTIONS), "--timeout", "10s",
            "-s", str(script), url]
    if warmup:
        subprocess.run([*args, "-d", "3s"], capture_output=True, check=True, env=env)
        time.sleep(0.5)
    offset = log.stat().st_size
    out = subprocess.run([*args, "-d", f"{duration}s"], capture_output=True, text=True,
                         check=True, env=env)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    time.sleep(0.5)
    times = server_times(log, offset)
    result |= {"path": path, "method": method,
               "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
               "server_p50_ms": round(percentile(times, 50), 2),
               "server_p99_ms": round(percentile(times, 99), 2),
               "server_mean_ms": round(statistics.fmean(times), 2)}
    return result


def _prepare_load(title: str, tokens_per_connection: int):
    """An open proposal, the members who will vote on it (16 steady ones first), and a folder
    with the access log and the wrk script; static files collected for the server."""
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    tasks.notify_electors.delay = _NoDelay()
    proposal = services.proposal_open(actor=BENCHMARK, proposal=new_proposal(title))
    print(f"proposal {proposal.pk} open, electorate {proposal.electorate_size}", flush=True)
    voters = list(Member.objects.filter(status=Member.Status.ACTIVE, user__isnull=False)
                  .select_related("user").order_by("?")
                  [:CONNECTIONS * (tokens_per_connection + 1)])
    tmp = Path(tempfile.mkdtemp(prefix="bench-gov-"))
    log = tmp / "access.log"
    log.touch()
    script = tmp / "ballots.lua"
    script.write_text(LUA)
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput",
                    "-v0"], cwd=ROOT, env=os.environ | SERVER_ENV, check=True)
    return proposal, voters, tmp, log, script


def bench_api(duration: int, workers: int, tokens_per_connection: int) -> list[dict]:
    proposal, voters, tmp, log, script = _prepare_load(
        "Bench: ballots through the API", tokens_per_connection)
    # The SQL of one ballot, counted in this process with the test client (same database).
    probe = Client()
    probe.force_login(voters[-1].user)
    with CaptureQueriesContext(connection) as queries:
        status = probe.post(f"/api/v1/proposals/{proposal.pk}/ballots/", {"choice": "yes"},
                            content_type="application/json").status_code
    print(f"one ballot through the API: HTTP {status}, {len(queries)} queries: "
          + "; ".join(f"{q['time']}s {q['sql'][:70]}" for q in queries.captured_queries),
          flush=True)
    server = start_server(workers, log)
    results = []
    try:
        # The 16 members of the "changed ballots" run sign in through the real endpoint.
        steady = voters[:CONNECTIONS]
        steady_tokens = [[login_token(m.user.email)] for m in steady]
        fresh = mint_tokens(voters[CONNECTIONS:])
        per = len(fresh) // CONNECTIONS
        fresh_tokens = [fresh[i * per:(i + 1) * per] for i in range(CONNECTIONS)]
        ballots = f"/api/v1/proposals/{proposal.pk}/ballots/"
        baseline = load("/bench/json", duration, log, script)
        results.append({"run": "baseline GET /bench/json", **baseline})
        # Warm-up is off for the first-ballot run so that every member votes once only (the
        # baseline has just warmed the workers up).
        first = load(ballots, duration, log, script, method="POST", body='{"choice": "yes"}',
                     tokens=fresh_tokens, warmup=False)
        results.append({"run": "POST ballots, first ballot of each member (201)", **first})
        again = load(ballots, duration, log, script, method="POST", body='{"choice": "no"}',
                     tokens=steady_tokens)
        results.append({"run": "POST ballots, 16 members changing their ballot (200)", **again})
        baseline2 = load("/bench/json", duration, log, script)
        results.append({"run": "baseline GET /bench/json (again)", **baseline2})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for row in results:
        print("RESULT " + json.dumps(row), flush=True)
    cast = Ballot.objects.filter(proposal=proposal).count()
    revisions = BallotRevision.objects.filter(proposal=proposal).count()
    print(f"stored: {cast} current ballots, {revisions} revisions", flush=True)
    return results


def bench_floor(duration: int, workers: int, tokens_per_connection: int) -> list[dict]:
    """How fast could a ballot be here at all (bench/floor_urls.py), in one run with the
    baseline and the real endpoint, plus the ballot's SQL alone under pgbench."""
    proposal, voters, tmp, log, script = _prepare_load(
        "Bench: the floor of a ballot", tokens_per_connection)
    server = start_server(workers, log, "bench.floor_settings")
    results = []
    try:
        steady = [[login_token(m.user.email)] for m in voters[:CONNECTIONS]]
        fresh = mint_tokens(voters[CONNECTIONS:])
        per = len(fresh) // CONNECTIONS
        fresh_tokens = [fresh[i * per:(i + 1) * per] for i in range(CONNECTIONS)]
        floor = f"/bench/floor/ballot/{proposal.pk}"
        runs = [
            ("baseline GET /bench/json", "/bench/json", {}),
            ("authenticated DRF no-op", "/bench/floor/drf-noop", {"tokens": steady}),
            ("hand-written ballot, first ballots (201)", floor,
             {"method": "POST", "body": '{"choice": "yes"}', "tokens": fresh_tokens,
              "warmup": False}),
            ("hand-written ballot, changed (200)", floor,
             {"method": "POST", "body": '{"choice": "no"}', "tokens": steady}),
            ("the API's ballot, changed (200)", f"/api/v1/proposals/{proposal.pk}/ballots/",
             {"method": "POST", "body": '{"choice": "yes"}', "tokens": steady}),
            ("baseline GET /bench/json (again)", "/bench/json", {}),
        ]
        for label, url, options in runs:
            row = {"run": label, **load(url, duration, log, script, **options)}
            print("RESULT " + json.dumps(row), flush=True)
            results.append(row)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if shutil.which("pgbench"):
        results.append(_pgbench_ballots(proposal, duration, tmp))
    return results


def _pgbench_ballots(proposal: Proposal, duration: int, tmp: Path) -> dict:
    """The hand-written ballot's SQL alone (lock, state check, the one statement), 4 clients."""
    from bench.floor_urls import _CAST

    sql = _CAST.replace("%(proposal)s", str(proposal.pk)).replace("%(member)s", ":m")
    sql = sql.replace("%(user)s", "1").replace("%(number)s", ":m").replace(
        "%(choice)s", "'yes'").replace("%(receipt)s", "md5(:m::text)")
    members = list(Elector.objects.filter(proposal=proposal).order_by("member_id")
                   .values_list("member_id", flat=True)[:: max(1, proposal.electorate_size - 1)])
    script = tmp / "ballot.sql"
    script.write_text(
        f"\\set m random({members[0]}, {members[-1]})\n"
        "BEGIN;\n"
        f"SELECT pg_advisory_xact_lock_shared(7272, {proposal.pk});\n"
        f"SELECT 1 FROM governance_proposal WHERE id = {proposal.pk} AND status = 'voting';\n"
        + " ".join(sql.split()) + ";\nCOMMIT;\n")
    db = connection.settings_dict
    out = subprocess.run(
        ["pgbench", "-n", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
         "-U", db["USER"] or "postgres", "-c", "4", "-j", "2", "-T", str(duration),
         "-f", str(script), db["NAME"]], capture_output=True, text=True, check=True)
    tps = next(float(line.split("=")[1].split()[0]) for line in out.stdout.splitlines()
               if line.startswith("tps"))
    row = {"run": "pgbench: the hand-written ballot's SQL alone, 4 clients", "tps": tps}
    print("RESULT " + json.dumps(row), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["services", "api", "floor", "all"], default="all")
    parser.add_argument("--duration", type=int, default=20, help="seconds per API run")
    parser.add_argument("--tokens", type=int, default=1000,
                        help="members (session tokens) per connection in the first-ballot run")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"run on a PostgreSQL database whose name contains 'bench' (not {name!r})")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}"
          f", {os.cpu_count()} CPUs, PostgreSQL {connection.pg_version}", flush=True)
    if args.part in ("services", "all"):
        bench_services()
    if args.part in ("api", "all"):
        bench_api(args.duration, args.workers, args.tokens)
    if args.part in ("floor", "all"):
        bench_floor(args.duration, args.workers, args.tokens)


if __name__ == "__main__":
    main()
