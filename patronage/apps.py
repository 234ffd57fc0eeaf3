from django.apps import AppConfig


class PatronageConfig(AppConfig):
    name = "patronage"
    verbose_name = "Surplus distribution"

    def ready(self):
        # The enactment kinds a passed `policy` proposal can carry (RULES §6), and the notices.
        from . import enactments, notices

        enactments.register()
        notices.register_kinds()
