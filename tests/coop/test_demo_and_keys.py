"""The embedded default's generated keys (issue #8 item 5) and the demo as `make demo` runs it:
links in emails, quiet console, the site's own error pages, and stopping it (items 10, 23)."""

import contextlib
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.coop.test_settings_and_ops import BASE_DIR, SETTINGS_FILE, SETTINGS_VARIABLES

# Prints the two keys as a process started on its own would read them from settings.py.
READ_KEYS = (
    "import runpy, sys; s = runpy.run_path(sys.argv[1]); "
    "print(s['SECRET_KEY'], s['BALLOT_RECEIPT_KEY'])"
)


def embedded_env(var_dir: Path, **overrides) -> dict:
    """The environment of the embedded default: none of the variables settings.py reads."""
    dropped = {*SETTINGS_VARIABLES, "DEMO", "SITE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE",
               "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["VAR_DIR"] = str(var_dir)
    env.update(overrides)
    return env


def read_keys(var_dir: Path, **overrides) -> tuple[str, str]:
    result = subprocess.run([sys.executable, "-c", READ_KEYS, str(SETTINGS_FILE)], cwd=BASE_DIR,
                            env=embedded_env(var_dir, **overrides), capture_output=True,
                            text=True, timeout=120, check=True)
    secret_key, receipt_key = result.stdout.split()
    return secret_key, receipt_key


# --- item 5: no key in the source --------------------------------------------------------------


def test_the_embedded_default_generates_its_keys_once_into_var(tmp_path):
    var_dir = tmp_path / "var"

    secret_key, receipt_key = read_keys(var_dir)

    key_file = var_dir / "secret-keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(secret_key) >= 50 and len(receipt_key) >= 50
    assert secret_key != receipt_key
    assert secret_key not in SETTINGS_FILE.read_text()
    # no temporary candidate files are left beside it
    assert [p.name for p in var_dir.iterdir() if "secret-keys" in p.name] == ["secret-keys"]
    # a second start reuses the file, and another installation gets other keys
    assert read_keys(var_dir) == (secret_key, receipt_key)
    assert read_keys(tmp_path / "elsewhere")[0] != secret_key


def test_processes_starting_together_all_read_the_same_keys(tmp_path):
    # given: a fresh var/ and eight processes (web workers, the worker, beat) started at once
    var_dir = tmp_path / "var"
    env = embedded_env(var_dir)
    # Each waits for the same moment, so they race on the missing file rather than queue up.
    start_at = time.time() + 3
    racer = (f"import time; time.sleep(max(0, {start_at} - time.time())); " + READ_KEYS)
    processes = [
        subprocess.Popen([sys.executable, "-c", racer, str(SETTINGS_FILE)], cwd=BASE_DIR,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert all(p.returncode == 0 for p in processes), outputs
    keys = {out.strip() for out, _ in outputs}
    assert len(keys) == 1, keys
    assert (var_dir / "secret-keys").read_text().split() == [
        f"SECRET_KEY={next(iter(keys)).split()[0]}",
        f"BALLOT_RECEIPT_KEY={next(iter(keys)).split()[1]}",
    ]


def test_an_existing_key_file_is_reused_and_environment_keys_win(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "secret-keys").write_text(f"SECRET_KEY={'s' * 50}\nBALLOT_RECEIPT_KEY={'r' * 50}\n")

    assert read_keys(var_dir) == ("s" * 50, "r" * 50)
    assert read_keys(var_dir, BALLOT_RECEIPT_KEY="b" * 50) == ("s" * 50, "b" * 50)
    # an operator's SECRET_KEY is used for both, as before (the file is not consulted)
    assert read_keys(var_dir, SECRET_KEY="k" * 50) == ("k" * 50, "k" * 50)


def test_a_truncated_key_file_is_refused_not_used(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "secret-keys").write_text("SECRET_KEY=short\n")

    result = subprocess.run([sys.executable, "-c", READ_KEYS, str(SETTINGS_FILE)], cwd=BASE_DIR,
                            env=embedded_env(var_dir), capture_output=True, text=True,
                            timeout=120)

    assert result.returncode != 0
    assert "is incomplete" in result.stderr


def test_production_still_requires_its_secret_key(tmp_path):
    result = subprocess.run([sys.executable, "-c", READ_KEYS, str(SETTINGS_FILE)], cwd=BASE_DIR,
                            env=embedded_env(tmp_path / "var", DEBUG="false",
                                             ALLOWED_HOSTS="coop.example.org"),
                            capture_output=True, text=True, timeout=120)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "var" / "secret-keys").exists()


# --- item 23: debug pages apart from production hardening ------------------------------------


def test_the_demo_switch_keeps_http_console_email_and_no_two_factor_gate(tmp_path):
    code = ("import runpy, sys, json; s = runpy.run_path(sys.argv[1]); print(json.dumps({k: s[k] "
            "for k in ('DEBUG', 'PRODUCTION', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
            "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'ADMIN_REQUIRE_2FA', "
            "'WHITENOISE_USE_FINDERS', 'ALLOWED_HOSTS')} | {'mailer': "
            "s['MAILERS']['default']['BACKEND']}))")
    result = subprocess.run([sys.executable, "-c", code, str(SETTINGS_FILE)], cwd=BASE_DIR,
                            env=embedded_env(tmp_path / "var", DEBUG="false", DEMO="true"),
                            capture_output=True, text=True, timeout=120, check=True)
    import json

    assert json.loads(result.stdout) == {
        "DEBUG": False,  # the site's own error pages
        "PRODUCTION": False,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "ADMIN_REQUIRE_2FA": False,
        "WHITENOISE_USE_FINDERS": True,
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]", "testserver"],
        "mailer": "coop.mail.ConsoleEmailBackend",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/no-such-page/", "/governance/no-such-page/"])
def test_members_see_the_sites_own_404_page(client, settings, path):
    settings.DEBUG = False

    response = client.get(path)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert settings.COOP_NAME.replace("'", "&#x27;") in html  # the site's own layout
    assert 'class="site-nav"' in html


@pytest.mark.django_db
def test_members_see_the_sites_own_403_and_500_pages(rf, settings):
    from django.core.exceptions import PermissionDenied
    from django.views import defaults

    settings.DEBUG = False
    request = rf.get("/somewhere/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()

    forbidden = defaults.permission_denied(request, PermissionDenied())
    error = defaults.server_error(request)

    assert forbidden.status_code == 403
    assert "<h1>You may not open this page</h1>" in forbidden.content.decode()
    assert 'class="site-nav"' in forbidden.content.decode()
    assert error.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in error.content.decode()
    assert "/static/css/site.css" in error.content.decode()


# --- item 23 and 10: the demo as `make demo` runs it -------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_marked(mark: str) -> dict[int, str]:
    """Every process on the machine whose environment carries `mark`: the demo and all it
    started, however deep (setsid, gunicorn and Celery pool children, the log prefixers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile, or not ours
    return found


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the demo's processes in /proc")
def test_the_demo_serves_on_its_port_and_a_sigterm_to_its_group_stops_everything(tmp_path):
    # given: the demo started like `make demo` does (its own process group, as a shell gives
    # it), on a free port, with a fresh var/ folder; the tables are not needed to start or stop.
    port = free_port()
    mark = f"DEMO_TEST_MARK={uuid.uuid4().hex}"
    env = embedded_env(tmp_path / "var", DEMO_PORT=str(port))
    env[mark.split("=")[0]] = mark.split("=")[1]
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        demo = subprocess.Popen(["bash", "bin/demo"], cwd=BASE_DIR, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "The demo cooperative is running" not in log_path.read_text():
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"

        # item 10: the processes that send emails link to the address the demo is served on
        demo_processes = processes_marked(mark)
        servers = {pid: cmd for pid, cmd in demo_processes.items()
                   if "celery" in cmd or "gunicorn" in cmd}
        assert any("worker" in cmd for cmd in servers.values()), demo_processes
        for pid in servers:
            assert environ_of(pid)["SITE_URL"] == base, servers[pid]
        assert f"their links use\n  {base}" in log_path.read_text()

        # item 23: the site's own 404 page, not Django's debug page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page/", timeout=30)
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "<h1>Page not found</h1>" in page
        assert "URLconf" not in page

        # item 23: the console logs pages, not static files
        urllib.request.urlopen(f"{base}/static/css/site.css", timeout=30).read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/no-such-page-logged/", timeout=30)
        time.sleep(1)
        console = log_path.read_text()
        assert "/no-such-page-logged/" in console
        assert "/static/" not in console
        assert "/healthz" not in console

        # when: a supervisor stops the demo's whole process group
        os.killpg(demo.pid, signal.SIGTERM)

        # then: the demo and everything it started is gone within 20 seconds
        deadline = time.monotonic() + 20
        while processes_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = processes_marked(mark)
        assert left == {}, f"still running after SIGTERM: {left}\n{log_path.read_text()}"
        assert demo.wait(timeout=1) == 0
        assert "Stopped." in log_path.read_text()
    finally:
        for pid in processes_marked(mark):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_make_demo_seeds_with_the_demo_address():
    # `make demo` seeds before bin/demo starts; the seed's links must follow DEMO_PORT too.
    makefile = (BASE_DIR / "Makefile").read_text()
    recipe = makefile[makefile.index("\ndemo:"):makefile.index("bash bin/demo")]
    assert re.search(r'SITE_URL="\$\$\{SITE_URL:-http://\$\$\{DEMO_HOST:-127\.0\.0\.1\}:'
                     r'\$\$\{DEMO_PORT:-8000\}\}"', recipe)
