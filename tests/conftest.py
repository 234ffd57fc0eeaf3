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
