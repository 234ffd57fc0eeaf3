from django.apps import AppConfig


class VitalityConfig(AppConfig):
    name = "vitality"
