"""Settings of the gunicorn server of `bench/governance_run.py --part floor` only: the app's own
settings plus the measuring endpoints of bench/floor_urls.py. Never used by the app."""

from coop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
