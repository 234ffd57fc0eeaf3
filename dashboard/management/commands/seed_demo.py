"""A believable demo cooperative: each app's seed in layer order (membership, governance, the
ledger's books and patronage's runs; the vitality dashboard adds its own here), in one
transaction, through the real
services. A second run finds the demo staff account and changes nothing."""

import logging
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from coop.celery import app as celery_app
from governance.seed import date_by_history, seed_governance
from ledger.seed import seed_ledger
from membership import seed as membership_seed
from patronage.seed import seed_patronage
from vitality.seed import seed_vitality

DROP_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


class Command(BaseCommand):
    help = ("Seed the demo cooperative (Lightbox Photographers' Cooperative) through the "
            "services. Running it again changes nothing.")

    def handle(self, *args, **options):
        staff_email, staff_password, _ = membership_seed.DEMO_STAFF
        member_email, member_password, _ = membership_seed.DEMO_MEMBER
        if membership_seed.is_seeded():
            self.stdout.write(f"The demo cooperative is already seeded ({staff_email} exists); "
                              f"nothing changed.")
            return
        today = timezone.localdate()
        previous_eager = celery_app.conf.task_always_eager
        trace_logger = logging.getLogger("celery.app.trace")
        previous_level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)  # not one "task succeeded" line per email
        # The demo's hundreds of notification emails are not sent to anyone, nor queued for
        # the worker to print later: run them at once into a backend that drops them.
        celery_app.conf.task_always_eager = True
        try:
            with override_settings(MAILERS=DROP_MAIL), transaction.atomic():
                summary = membership_seed.seed_membership(stdout=self.stdout, today=today)
                # After the members exist, so the electorates are real.
                proposals = seed_governance(rng=random.Random(membership_seed.SEED + 1),
                                            demo_member=membership_seed.demo_member()) or 0
                # The books, then the surplus shared out of them (#9).
                seed_ledger(rng=random.Random(membership_seed.SEED + 2), today=today)
                money = seed_patronage(rng=random.Random(membership_seed.SEED + 3), today=today,
                                       demo_member=membership_seed.demo_member())
                # After every pillar: the monthly votes, surveys and snapshots of the history.
                vitality = seed_vitality(rng=random.Random(membership_seed.SEED + 10),
                                         today=today)
            # The notices were made as the transaction committed: date them now.
            membership_seed.date_notices_by_history()
            date_by_history()
        finally:
            celery_app.conf.task_always_eager = previous_eager
            trace_logger.setLevel(previous_level)
        self.stdout.write(self.style.SUCCESS(
            f"{summary}; {proposals} demo proposal(s); {vitality}."))
        if money:
            self.stdout.write(f"The books: {money}.")
        self.stdout.write(f"Sign in as a member: {member_email} / {member_password}")
        self.stdout.write(f"Sign in as staff:    {staff_email} / {staff_password} "
                          f"(the admin is at /admin/)")
