from django.core.management.base import BaseCommand, CommandError

from coop.actors import SystemActor
from ledger.services import reconciliation_check

RECONCILE_COMMAND = SystemActor(name="ledger.reconcile_ledger command")


class Command(BaseCommand):
    help = ("Check the share register against the books (RULES.md §3): for every member, paid − "
            "reversed − redeemed equals their share capital in the ledger. Records the check, "
            "tells staff of a difference, and exits non-zero when there is one.")

    def handle(self, *args, **options):
        check = reconciliation_check(actor=RECONCILE_COMMAND)
        if not check.ok:
            lines = [f"  member {d['member_number']}: register {d['register_minor']}, "
                     f"ledger {d['ledger_minor']}" for d in check.differences]
            raise CommandError(f"The register and the books disagree for "
                               f"{len(check.differences)} member(s):\n" + "\n".join(lines))
        self.stdout.write(self.style.SUCCESS("The share register and the books agree."))
