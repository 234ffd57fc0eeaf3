from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "membership"

    def ready(self):
        from .notices import register_kinds

        register_kinds()
