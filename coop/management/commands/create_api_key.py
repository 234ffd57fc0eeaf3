from django.core.management.base import BaseCommand, CommandError

from coop.models import PartnerApiKey


class Command(BaseCommand):
    help = "Create a partner API key and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", required=True, dest="scopes",
                            choices=PartnerApiKey.SCOPES)

    def handle(self, *args, name, scopes, **options):
        if not name.strip():
            raise CommandError("--name must not be empty.")
        _, key = PartnerApiKey.objects.create_key(name=name, scopes=sorted(set(scopes)))
        self.stdout.write(key)
