"""An electorate for the governance benchmarks: N active members, fast, and as the membership
services would have left them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_gov \\
        .venv/bin/python bench/governance_generate.py --members 100000

Every member went through the same steps the services take, replayed in bulk: a user with a
verified email address (password `bench-password`, so the API can sign them in), an approved
application, a member row with the next member number and status `active`, a subscription of
the class's `min_shares` at the class's price, one payment of the full amount (none for a free
class), the certificates it paid for numbered in order over the cooperative, an `issue` event per
certificate in the share register, and the counters where the services would continue. Audit
records of the membership history are left out (the governance benchmarks don't read them).

Three classes: photographers (weight 2, 50 %), clients (weight 1, 40 %), supporters (free,
weight 1, 10 %). It refuses a database whose name lacks "bench" (unless --force) and one that
already has members.
"""

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from coop.models import Cooperative, Counter, User  # noqa: E402
from membership.models import (  # noqa: E402
    Application,
    Member,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
    StakeholderClass,
)

BENCH_PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark database
STAFF_EMAIL = "staff@bench.example"
BATCH = 10_000
# slug, name, price, min_shares, vote_weight, measure, every how many members (of 10)
CLASSES = [
    ("photographers", "Photographers", 5000, 2, 2, "licences sold", 5),
    ("clients", "Clients", 2500, 1, 1, "purchases", 4),
    ("supporters", "Supporters", 0, 1, 1, "hours volunteered", 1),
]


def class_of(i: int) -> int:
    """0-based class index of member i: 5 photographers, 4 clients, 1 supporter in every 10."""
    slot = i % 10
    return 0 if slot < 5 else 1 if slot < 9 else 2


def write(model, rows: list) -> None:
    for start in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[start:start + BATCH])
    print(f"  {model.__name__}: {len(rows)}", flush=True)


def generate(n: int) -> None:
    t0 = time.monotonic()
    password = make_password(BENCH_PASSWORD)
    start = datetime.now(UTC) - timedelta(days=2 * 365)
    step = timedelta(days=2 * 365 - 30) / max(n, 1)
    for model, name in [(Application, "submitted_at"), (SharePayment, "recorded_at"),
                        (RegisterEvent, "created_at")]:
        model._meta.get_field(name).auto_now_add = False  # the generated times are the history
    with transaction.atomic():
        coop = Cooperative.current()
        coop.bylaws_version = "2026-01"
        coop.save()
        classes = [StakeholderClass.objects.create(
            id=k + 1, slug=slug, name=name, share_price_minor=price, min_shares=min_shares,
            max_shares=max(min_shares, 10), vote_weight=weight, patronage_measure=measure)
            for k, (slug, name, price, min_shares, weight, measure, _) in enumerate(CLASSES)]
        staff = User.objects.create(id=n + 1, email=STAFF_EMAIL, full_name="Bench Registrar",
                                    is_staff=True, is_superuser=True, password=password,
                                    date_joined=start)
        EmailAddress.objects.create(user=staff, email=STAFF_EMAIL, verified=True, primary=True)
        users, emails, applications, members, subscriptions = [], [], [], [], []
        payments, certificates, events = [], [], []
        certificate_number = 0
        for i in range(n):
            pk = i + 1  # user, application, member and subscription share the number
            klass = classes[class_of(i)]
            submitted = start + step * i
            approved = submitted + timedelta(days=2)
            paid_at = approved + timedelta(days=3)
            on = paid_at.date() if klass.share_price_minor else approved.date()
            email = f"member{pk}@bench.example"
            name = f"Member {pk}"
            users.append(User(id=pk, email=email, full_name=name, password=password,
                              date_joined=submitted))
            emails.append(EmailAddress(user_id=pk, email=email, verified=True, primary=True))
            applications.append(Application(
                id=pk, user_id=pk, name=name, email=email, stakeholder_class=klass,
                shares=klass.min_shares, bylaws_version="2026-01",
                status=Application.Status.APPROVED, submitted_at=submitted, decided_at=approved,
                decided_by_id=staff.pk))
            members.append(Member(
                id=pk, member_number=pk, user_id=pk, application_id=pk, name=name, email=email,
                stakeholder_class=klass, status=Member.Status.ACTIVE, joined_on=approved.date(),
                activated_on=on, shares_subscribed=klass.min_shares,
                shares_held=klass.min_shares,
                paid_minor=klass.min_shares * klass.share_price_minor))
            subscriptions.append(ShareSubscription(
                id=pk, member_id=pk, shares=klass.min_shares,
                share_price_minor=klass.share_price_minor, subscribed_on=approved.date()))
            payment_id = None
            if klass.share_price_minor:
                payment_id = len(payments) + 1
                payments.append(SharePayment(
                    id=payment_id, member_id=pk, amount_minor=klass.min_shares
                    * klass.share_price_minor, paid_on=on, reference=f"BANK-{pk}",
                    recorded_at=paid_at, recorded_by_id=staff.pk))
            for _ in range(klass.min_shares):
                certificate_number += 1
                certificates.append(ShareCertificate(
                    id=certificate_number, certificate_number=certificate_number, member_id=pk,
                    issued_on=on, payment_id=payment_id))
                events.append(RegisterEvent(
                    kind=RegisterEvent.Kind.ISSUE, member_id=pk,
                    certificate_id=certificate_number, event_date=on, payment_id=payment_id,
                    created_at=paid_at))
        print(f"built in {time.monotonic() - t0:.1f}s", flush=True)
        for model, rows in [(User, users), (EmailAddress, emails), (Application, applications),
                            (Member, members), (ShareSubscription, subscriptions),
                            (SharePayment, payments), (ShareCertificate, certificates),
                            (RegisterEvent, events)]:
            write(model, rows)
        Counter.objects.update_or_create(name="member_number", defaults={"last_value": n})
        Counter.objects.update_or_create(name="certificate_number",
                                         defaults={"last_value": certificate_number})
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [
                    StakeholderClass, User, EmailAddress, Application, Member, ShareSubscription,
                    SharePayment, ShareCertificate, RegisterEvent]):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"written in {time.monotonic() - t0:.1f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--force", action="store_true",
                        help="allow a database whose name does not contain 'bench'")
    args = parser.parse_args()
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name and not args.force:
        sys.exit(f"refusing to touch {name!r}: its name lacks 'bench' (use --force)")
    if Member.objects.exists() or User.objects.exists():
        sys.exit(f"{name!r} already has users or members: generate into an empty database")
    generate(args.members)
    active = Member.objects.filter(status=Member.Status.ACTIVE).count()
    print(f"{active} active members on {date.today()}")


if __name__ == "__main__":
    main()
