from django.apps import AppConfig


class VitalityConfig(AppConfig):
    name = "vitality"

    def ready(self):
        from .notices import register_kinds

        register_kinds()
