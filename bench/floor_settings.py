"""Settings of the gunicorn server of `bench/governance_run.py --part floor` only: the
benchmark settings (bench/settings.py) plus the measuring endpoints of bench/floor_urls.py.
Never used by the app."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
