import os

import pytest
from django.conf import settings


def _postgres_available() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _redis_reason() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {url} is unreachable ({exc.__class__.__name__})"
    return None


def pytest_collection_modifyitems(config, items):
    pg_skip = None if _postgres_available() else pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    redis_reason = _redis_reason()
    redis_skip = pytest.mark.skip(reason=f"needs Redis: {redis_reason}") if redis_reason else None
    for item in items:
        if pg_skip and "postgres" in item.keywords:
            item.add_marker(pg_skip)
        if redis_skip and "redis" in item.keywords:
            item.add_marker(redis_skip)


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run eagerly in tests; the real-worker tests switch this off for themselves."""
    from coop.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


class CeleryWorkerProcess:
    """A real `celery -A coop worker` subprocess, consuming a queue of its own."""

    def __init__(self, process, queue: str, log_path):
        self.process = process
        self.queue = queue
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, condition, timeout: float = 30.0, what: str = "the condition"):
        """Poll `condition()` until it is truthy; on timeout fail with the worker's log."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited ({self.process.returncode}):\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout}s waiting for {what}; worker log:\n{self.log()}")


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Starts a real Celery worker on REDIS_URL against the test database (PostgreSQL: the
    worker is another process, so it needs a database it can reach and rows committed by the
    test, hence transactional_db). Switches eager mode off and sends the app's tasks to a
    queue only this worker consumes, so a demo or another run on the same Redis cannot take
    them. Use it in tests marked `redis` and `postgres`; `.delay()` then really goes through
    the broker."""
    import subprocess
    import sys
    import uuid
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    from coop.celery import app

    if not _postgres_available():
        pytest.skip("a real worker needs PostgreSQL: set DATABASE_URL=postgres://...")
    if reason := _redis_reason():
        pytest.skip(f"a real worker needs Redis: {reason}")

    # pytest-django runs the tests on test_<name>: point the worker at that database.
    parts = urlsplit(os.environ["DATABASE_URL"])
    test_db_url = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": test_db_url, "TESTING": "true",
           "CELERY_TASK_ALWAYS_EAGER": "false",
           # Tasks the worker itself queues (a vote's result notification...) stay private too.
           "CELERY_TASK_DEFAULT_QUEUE": queue}
    log_path = tmp_path / "celery-worker.log"
    base_dir = Path(__file__).resolve().parent.parent
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coop", "worker", "--pool=solo",
             "--loglevel=INFO", "-Q", queue, "-n", f"{queue}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=base_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
    worker = CeleryWorkerProcess(process, queue, log_path)
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        worker.wait_until(lambda: "ready." in worker.log(), what="the worker to be ready")
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _seeded_categories(request):
    """Transactional tests flush every table, including the categories a data migration seeds;
    put them back so each such test starts from the state a fresh database has."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        (marker is not None and (marker.kwargs.get("transaction") or
                                 (marker.args and marker.args[0])))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if transactional:
        import importlib

        request.getfixturevalue("transactional_db")
        from django.apps import apps

        # The latest migration that installs categories (with their discussion floors).
        migration = importlib.import_module("governance.migrations.0007_discussion_period")
        migration.install_categories(apps)
    yield


# --- fixtures shared by the apps' tests ----------------------------------------------------
# (Each app's own shared fixtures are in tests/<app>/conftest.py; plain helpers in
# tests/<app>/factories.py and tests/<app>/helpers.py.)


@pytest.fixture
def staff():
    """A staff superuser (is_staff and is_superuser)."""
    from tests.membership.factories import StaffFactory

    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    """Django's test client signed in as `staff` (the admin pages' user)."""
    client.force_login(staff)
    return client


@pytest.fixture
def eager_retries():
    """A task's retries run at once, inline (see tests.flaky_mail.eager_retries). The email
    tests switch it on for a whole module with `pytest.mark.usefixtures("eager_retries")`."""
    from tests import flaky_mail

    with flaky_mail.eager_retries():
        yield


@pytest.fixture
def retries():
    """(task name, countdown) of each retry Celery schedules during the test, in order."""
    from tests import flaky_mail

    with flaky_mail.recorded_retries() as seen:
        yield seen
