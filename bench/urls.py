"""The app's URLs plus the benchmarks' baseline `/bench/json`. Routed only by bench/settings.py
(the benchmark servers' settings): the production URLconf (coop/urls.py) answers 404 there."""

from django.urls import path

from bench.views import json_baseline
from coop.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/json", json_baseline, name="json-baseline"),
    *app_urlpatterns,
]
