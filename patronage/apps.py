from django.apps import AppConfig


class PatronageConfig(AppConfig):
    name = "patronage"
    verbose_name = "Surplus distribution"

    def ready(self):
        # The enactment kinds a passed `policy` proposal can carry (RULES §6), and the notices.
        from ledger import hooks
        from membership import hooks as membership_hooks

        from . import enactments, notices
        from .erasure import PAYOUTS
        from .services import payouts

        enactments.register()
        notices.register_kinds()
        # Redemptions made payable by a period's close become payables in the same transaction.
        if payouts.after_period_close not in hooks.after_period_close:
            hooks.after_period_close.append(payouts.after_period_close)
        # A member's IBAN goes with the person's data (membership.services.member_erase).
        if PAYOUTS not in membership_hooks.erasure_hooks:
            membership_hooks.erasure_hooks.append(PAYOUTS)
