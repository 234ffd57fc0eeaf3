"""Settings of the gunicorn servers the benchmarks start (bench/server_env.py names them): the
app's own settings plus the baseline endpoint of bench/urls.py. Never used by the app."""

from coop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
