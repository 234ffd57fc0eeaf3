from django.apps import AppConfig


class CoopConfig(AppConfig):
    name = "coop"
    verbose_name = "Cooperative"

    def ready(self):
        from django.contrib.auth import get_user_model

        from .notices import register_recipient

        # Staff notices (coop.notices.notify_staff) go to users.
        register_recipient(get_user_model())
