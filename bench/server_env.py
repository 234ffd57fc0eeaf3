"""The environment of the gunicorn server every benchmark starts (and of the benchmark process
itself, so both read the same settings): production settings on 127.0.0.1, without the HTTPS
redirect, with throttles raised out of the way, static files collected into var/bench-static,
and bench/settings.py, which routes the baseline `/bench/json` (the app's URLconf does not)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def server_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-BENCHMARK",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "API_THROTTLE_USER": "10000000/minute",
        "API_THROTTLE_ANON": "10000000/minute",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        **extra,
    }
