from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """The process is alive (no dependency checked)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """The database and the broker are reachable."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from coop.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)



def server_error(request):
    """handler500: a database outage first noticed in a middleware (loading the user, saving
    the session) is a 503 too, like `coop.middleware.DatabaseUnavailableMiddleware` answers for
    the views; anything else is Django's own 500 (problem+json under /api/, by
    `coop.middleware.RequestGuardMiddleware`)."""
    import sys

    from django.views.defaults import server_error as django_server_error

    from .middleware import database_unavailable, database_unavailable_response

    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    return django_server_error(request)
