from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self):
        # The register posts through membership's hook (membership cannot import the ledger).
        from membership import hooks

        from . import notices
        from .register import POSTINGS

        notices.register_kinds()

        if POSTINGS not in hooks.register_hooks:
            hooks.register_hooks.append(POSTINGS)
