from django.apps import AppConfig


class VitalityConfig(AppConfig):
    name = "vitality"

    def ready(self):
        from membership import hooks

        from .erasure import PULSE
        from .notices import register_kinds

        register_kinds()
        # The pulse survey's comments go with the person's data (membership.member_erase).
        if PULSE not in hooks.erasure_hooks:
            hooks.erasure_hooks.append(PULSE)
