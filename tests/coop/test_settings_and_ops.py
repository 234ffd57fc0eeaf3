"""Running the platform: health endpoints, production settings, settings from the environment
and the background jobs in a real Celery worker."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from coop.celery import app
from coop.models import Heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = BASE_DIR / "coop" / "settings.py"

# Every variable settings.py reads that a test environment may carry in (CI sets some).
SETTINGS_VARIABLES = [
    "DEBUG",
    "DEMO",
    "TESTING",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "SQLITE_PATH",
    "VAR_DIR",
    "STATIC_ROOT",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "EMAIL_RETRY_BACKOFF",
    "EMAIL_MAX_RETRIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "ADMIN_REQUIRE_2FA",
    "CELERY_TASK_ALWAYS_EAGER",
    "BALLOT_RECEIPT_KEY",
]


# --- health endpoints ----------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would raise "Database access not allowed".
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_and_the_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_on_postgresql_and_redis(client):
    # given: the production pair of services
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_broker_as_unavailable(client):
    # given: a broker address where nothing listens (port 1 on this machine)
    saved = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = saved

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error:")


@pytest.mark.django_db
def test_health_endpoints_are_exempt_from_the_https_redirect(client, settings):
    # given: production's redirect to HTTPS (the middleware reads it on the first request)
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


# --- production settings ---------------------------------------------------------------------


def production_env(**overrides) -> dict:
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process; production never does.
    dropped = {*SETTINGS_VARIABLES, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    # The database stays the one the tests use (CI: PostgreSQL); the check makes no query.
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="coop.example.org"
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_when_https_is_switched_off():
    # The check above can fail: without the HTTPS redirect Django warns (security.W008).
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECURE_SSL_REDIRECT="false"),
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=None))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# --- settings from the environment -----------------------------------------------------------


@pytest.fixture
def settings_from(monkeypatch, tmp_path):
    """Evaluates coop/settings.py afresh under the given environment variables (and no others
    that settings.py reads) and returns its names."""

    def load(**env) -> dict:
        for name in SETTINGS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def test_the_embedded_default_needs_nothing_installed(settings_from, tmp_path):
    loaded = settings_from()

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "var" / "coop.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert loaded["IS_POSTGRES"] is False
    assert loaded["DEBUG"] is True
    # background jobs on kombu's filesystem transport, whose folders must exist
    assert loaded["CELERY_BROKER_URL"] == "filesystem://"
    for folder in ("data_folder_in", "control_folder"):
        assert Path(loaded["CELERY_BROKER_TRANSPORT_OPTIONS"][folder]).is_dir()
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["CACHES"]["default"]["BACKEND"].endswith("FileBasedCache")
    # emails on the console, through Django 6.1's MAILERS
    assert loaded["MAILERS"] == {
        "default": {"BACKEND": "coop.mail.ConsoleEmailBackend"}
    }
    assert "EMAIL_BACKEND" not in loaded


def test_database_url_selects_postgresql(settings_from):
    loaded = settings_from(DATABASE_URL="postgres://coop:s3cret@db.internal:6543/coopdb")

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "coopdb",
        "coop",
        "s3cret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.internal", 6543)
    assert database["CONN_MAX_AGE"] == 60
    assert loaded["IS_POSTGRES"] is True


def test_redis_url_sets_the_broker_and_the_cache(settings_from):
    loaded = settings_from(REDIS_URL="redis://cache.internal:6379/2")

    assert loaded["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
    assert loaded["CACHES"]["default"] == {
        "BACKEND": "coop.cache.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }


def test_production_settings_from_the_environment(settings_from):
    loaded = settings_from(
        DEBUG="false",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="coop.example.org, www.coop.example.org",
        CSRF_TRUSTED_ORIGINS="https://coop.example.org",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="coop",
        EMAIL_HOST_PASSWORD="pw",
        EMAIL_USE_TLS="true",
    )

    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["coop.example.org", "www.coop.example.org"]
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["https://coop.example.org"]
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["ADMIN_REQUIRE_2FA"] is True
    assert loaded["WHITENOISE_USE_FINDERS"] is False  # production serves collected files
    mailer = loaded["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "smtp.example.org",
        "port": 587,
        "username": "coop",
        "password": "pw",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }
    # the ballot receipt key falls back to SECRET_KEY, and can be set on its own
    assert loaded["BALLOT_RECEIPT_KEY"] == "k" * 60


def test_production_without_allowed_hosts_is_refused(settings_from):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        settings_from(DEBUG="false", SECRET_KEY="k" * 60)


# --- a real worker ---------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_runs_the_heartbeat_sent_through_redis(celery_worker_process):
    from coop.tasks import heartbeat

    assert not Heartbeat.objects.exists()

    heartbeat.delay()

    celery_worker_process.wait_until(Heartbeat.objects.exists, what="the heartbeat row")
    assert Heartbeat.objects.count() == 1
    assert re.search(
        r"Task coop\.tasks\.heartbeat\[[-\w]+\] succeeded", celery_worker_process.log()
    )
