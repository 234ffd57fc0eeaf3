from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The top layer: pages that compose every pillar (the landing page, the member home, the
    navigation's counts) and the demo seed. Nothing imports it."""

    name = "dashboard"
