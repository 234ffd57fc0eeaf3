from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coop import csv_import
from coop.actors import IMPORT_REGISTER
from coop.errors import ServiceError
from membership import importer


class Command(BaseCommand):
    help = ("Import an existing share register from a CSV file (docs/import-format.md). "
            "Every row is checked; either all of it is imported or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and report; write nothing.")

    def handle(self, *args, path: Path, dry_run: bool, **options):
        try:
            text = csv_import.decode(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        preview = importer.validate(text)
        if not preview.ok:
            self._report(preview)
        members = len(preview.rows)
        certificates = sum(len(r.certificates) for r in preview.rows)
        if dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"{path}: {members} member(s) and {certificates} certificate(s) are valid. "
                f"Dry run: nothing was written."))
            return
        try:
            result = importer.register_import(text=text, actor=IMPORT_REGISTER)
        except ServiceError as exc:
            # The register changed between the check and the import (a race with staff).
            preview = importer.validate(text)
            if not preview.ok:
                self._report(preview)
            raise CommandError(exc.message) from None
        low, high = result.member_numbers
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.members} member(s) (numbers {low}–{high}), {result.payments} "
            f"payment(s) and {result.certificates} certificate(s)."))

    def _report(self, preview: importer.Preview) -> None:
        lines = preview.error_lines()
        for line in lines:
            self.stderr.write(line)
        raise CommandError(f"{len(lines)} error(s) in {len(preview.error_rows)} row(s); "
                           f"nothing was imported.")
