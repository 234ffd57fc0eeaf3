"""Benchmark the membership pages and API under gunicorn against a PostgreSQL bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench \\
        .venv/bin/python bench/run_membership.py [--duration 15] [--concurrency 8]

The database must already hold the generated members (bench/generate_members.py). For each
(identity, path) it:

1. counts the SQL queries of one request, in this process, with Django's test client and
   CaptureQueriesContext (the same settings and database as the server);
2. loads it for `--duration` seconds at `--concurrency` open connections with wrk (after a 3 s
   warm-up) against gunicorn on 127.0.0.1. wrk has no request-count mode (a Lua
   `wrk.thread:stop()` parks the thread but wrk still sleeps the whole duration, and the parked
   connections then pin sync workers until they time out), so the count N is what the fixed
   duration gave; a Lua script counts the non-200 answers;
3. reads the server time of each of those requests from gunicorn's access log (`%(D)s`, the
   microseconds the worker spent on the request) and reports p50/p95/p99, plus wrk's client
   latency p95 and throughput.

Identities: a signed-in member (session cookie made by the test client's force_login in the
bench database), the generated staff user (session cookie) and a partner API key
(`members:read`, created afresh for the run). The server runs with DEBUG=false, SECRET_KEY set
here (shared with this process so the sessions it writes are valid), no HTTPS redirect, the API
throttle raised out of the way (it still runs), static files collected into var/bench-static.
A path answering 404 is reported as missing and not loaded.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server_env import server_env  # noqa: E402

SERVER_ENV = server_env()
os.environ.update(SERVER_ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from coop.models import PartnerApiKey, User  # noqa: E402
from membership.models import Member  # noqa: E402

DEFAULT_PLAN = [
    ("member", "/bench/json"),
    ("member", "/"),
    ("member", "/members/"),
    ("member", "/api/v1/members/"),
    ("staff", "/members/"),
    ("staff", "/api/v1/members/"),
    ("api_key", "/bench/json"),
    ("api_key", "/api/v1/members/"),
    ("api_key", "/api/v1/members/?page=1000"),
]

LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non200": %d, "socket_errors": %d, ' ..
    '"client_p50_us": %d, "client_p95_us": %d, "client_p99_us": %d}\\n',
    summary.requests, summary.duration, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def identities() -> dict[str, dict[str, str]]:
    """Request headers for each identity."""
    member = (Member.objects.filter(status=Member.Status.ACTIVE, user__isnull=False)
              .order_by("member_number").select_related("user").first())
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if member is None or staff is None:
        sys.exit("no active member or staff user: run bench/generate_members.py first")
    headers = {}
    for name, user in (("member", member.user), ("staff", staff)):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers[name] = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    PartnerApiKey.objects.filter(name="bench").delete()
    _, key = PartnerApiKey.objects.create_key(name="bench", scopes=["members:read"])
    headers["api_key"] = {"Authorization": f"Api-Key {key}"}
    print(f"member: #{member.member_number} {member.user.email}; staff: {staff.email}")
    return headers


def count_queries(headers: dict[str, str], path: str, show: bool = False) -> tuple[int, int]:
    client = Client()
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
             if k != "Cookie"}
    if "Cookie" in headers:
        name, value = headers["Cookie"].split("=", 1)
        client.cookies[name] = value
    client.get(path, **extra)  # warm caches (Cooperative row, content types) like a live worker
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    if show:
        print(f"\n{path} ({response.status_code}):")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}")
    return response.status_code, len(queries)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    env = os.environ | SERVER_ENV
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "coop.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", "120", "--access-logfile", str(log),
         "--access-logformat", '%(m)s %(U)s%(q)s %(s)s %(D)s', "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not start")


def server_times(log: Path, offset: int) -> list[float]:
    """Milliseconds per request logged after `offset`."""
    with log.open() as f:
        f.seek(offset)
        return [int(line.split()[-1]) / 1000 for line in f if line.strip()]


def load(port, path, headers, duration, concurrency, threads, log, script) -> dict:
    url = f"http://127.0.0.1:{port}{path}"
    args = ["wrk", "-t", str(threads), "-c", str(concurrency), "--timeout", "10s",
            "-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    # Warm-up: every worker imports its code paths and opens its database connection.
    subprocess.run([*args, "-d", "3s", url], capture_output=True, check=True)
    time.sleep(0.5)
    offset = log.stat().st_size
    out = subprocess.run([*args, "-d", f"{duration}s", url], capture_output=True, text=True,
                         check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    time.sleep(0.5)  # let the last access-log lines reach the file
    times = server_times(log, offset)
    result |= {
        "server_n": len(times),
        "server_p50_ms": percentile(times, 50),
        "server_p95_ms": percentile(times, 95),
        "server_p99_ms": percentile(times, 99),
        "server_mean_ms": statistics.fmean(times) if times else float("nan"),
        "rps": result["requests"] / (result["duration_us"] / 1e6),
    }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per (identity, path)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--queries-only", action="store_true",
                        help="only count queries (e.g. on a small database, to compare)")
    parser.add_argument("--path", action="append", metavar="IDENTITY:PATH",
                        help="replace the default plan, e.g. --path member:/")
    parser.add_argument("--show-queries", action="store_true",
                        help="print each query's time and SQL (find the slow one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"run against a PostgreSQL bench database (DATABASE_URL=.../coop_bench), "
                 f"not {connection.vendor} {name!r}")
    if not args.queries_only and not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    plan = ([tuple(p.split(":", 1)) for p in args.path] if args.path else DEFAULT_PLAN)

    members = Member.objects.count()
    print(f"database {name}: {members} members; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
          f"{platform.python_version()}; {os.cpu_count()} CPUs")
    load_before = os.getloadavg()
    call_command("collectstatic", "--noinput", verbosity=0)
    headers = identities()

    results = []
    for identity, path in plan:
        status, queries = count_queries(headers[identity], path, args.show_queries)
        results.append({"identity": identity, "path": path, "status": status,
                         "queries": queries, "members": members})
    if not args.queries_only:
        workdir = Path(tempfile.mkdtemp(prefix="coop-bench-"))
        log, script = workdir / "access.log", workdir / "stop.lua"
        script.write_text(LUA)
        log.touch()
        server = start_server(args.port, args.workers, log)
        try:
            for result in results:
                if result["status"] != 200:
                    continue
                result |= load(args.port, result["path"], headers[result["identity"]],
                               args.duration, args.concurrency, args.threads, log, script)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    print(f"\n{args.duration} s per row, {args.concurrency} connections, "
          f"{args.workers} gunicorn sync workers\n")
    print(f"load average before: {load_before}; after: {os.getloadavg()}\n")
    print("| identity | path | status | queries | N | server p50 ms | p95 ms | p99 ms "
          "| client p95 ms | req/s | non-200 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "server_p50_ms" in r:
            print(f"| {r['identity']} | `{r['path']}` | {r['status']} | {r['queries']} | "
                  f"{r['server_n']} | {r['server_p50_ms']:.1f} | {r['server_p95_ms']:.1f} | "
                  f"{r['server_p99_ms']:.1f} | {r['client_p95_us'] / 1000:.1f} | "
                  f"{r['rps']:.0f} | {r['non200']} |")
        else:
            note = "missing" if r["status"] == 404 else "not loaded"
            print(f"| {r['identity']} | `{r['path']}` | {r['status']} | {r['queries']} "
                  f"| | {note} | | | | | |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
