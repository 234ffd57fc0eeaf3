from django.core.management.base import BaseCommand, CommandError

from coop.audit import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true",
                            help="Do not seal pending records before verifying.")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            audit_seal()
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at seq {result.broken_seq} (record id {result.broken_id}): "
                f"{result.reason}. {result.checked} records before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(
            f"Audit chain intact: {result.checked} records verified, {result.unsealed} unsealed."
        ))
