"""Scale data for the membership benchmarks: N members with their applications, subscriptions,
payments (instalments, reversals), certificates, register events, exits and audit records.

It writes with bulk_create (ids assigned here, sequences reset afterwards) but the data is what
the services would have produced: every member's history is replayed in global time order
through the same rules as `membership.services._reconcile_holding`, so member numbers follow
approval order, certificate numbers follow issue order over the whole cooperative with no gap
(cancelled numbers are never reused), holdings are the sum of register events, statuses and
dates follow min_shares, and the counters are left where the services would continue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench \\
        .venv/bin/python bench/generate_members.py --members 100000
    ... bench/generate_members.py --check        # verify the invariants of what is there

It refuses a database that already has members, and one whose name lacks "bench" (unless
--force), so it cannot be pointed at a real cooperative by mistake.
"""

import argparse
import heapq
import os
import random
import sys
import time
from dataclasses import dataclass, field
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
from django.db.models import Count, Max, Q, Sum  # noqa: E402

from coop.models import AuditRecord, Cooperative, Counter, User  # noqa: E402
from membership.models import (  # noqa: E402
    Application,
    Kind,
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
    StakeholderClass,
)

BENCH_PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark database
STAFF_EMAIL = "staff@bench.example"
BATCH = 5000

FIRST = "Ada Bo Chen Dara Eli Femi Gus Hana Ines Jon Kai Lea Mo Nia Omar Pia Quin Rosa Sam"
FIRST = [*FIRST.split(), "Tea", "Uma", "Vic", "Wen", "Xavi", "Yara", "Zoe", "Alba", "Bruno"]
LAST = "Abebe Berg Costa Diallo Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski Larsen"
LAST = [*LAST.split(), "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka"]

# (slug, name, current price, price before the change half-way, min, max, weight, measure, p)
CLASSES = [
    ("photographers", "Photographers", 5000, 5000, 2, 20, 2, "licences sold", 0.5),
    ("clients", "Clients", 2500, 2000, 1, 4, 1, "purchases", 0.4),
    ("supporters", "Supporters", 0, 0, 1, 1, 1, "hours volunteered", 0.1),
]


@dataclass
class MemberState:
    idx: int
    user_id: int
    class_idx: int
    shares: int
    price: int
    min_shares: int
    number: int = 0
    paid: int = 0
    issued: list = field(default_factory=list)  # certificate ids currently issued, in order
    status: str = ""
    activated_on: date | None = None
    exited_on: date | None = None


class Generator:
    def __init__(self, members: int, seed: int, audit: bool, pending: int):
        self.n = members
        self.rng = random.Random(seed)
        self.audit = audit
        self.pending = pending
        self.today = date.today()
        # Rows to insert, per model, as kwargs dicts (converted in chunks when written).
        self.rows: dict[type, list[dict]] = {m: [] for m in (
            User, EmailAddress, Application, Member, ShareSubscription, SharePayment,
            ShareCertificate, RegisterEvent, Redemption, AuditRecord)}
        self.next_id = {m: 1 for m in self.rows}
        self.certificate_number = 0

    def add(self, model, **kwargs) -> int:
        pk = self.next_id[model]
        self.next_id[model] += 1
        kwargs["id"] = pk
        self.rows[model].append(kwargs)
        return pk

    def audit_row(self, at, action, object_type, object_id, actor_id, facts):
        if self.audit:
            self.add(AuditRecord, created_at=at, action=action, actor_id=actor_id,
                     actor_kind="user" if actor_id else "system", object_type=object_type,
                     object_id=str(object_id), facts=facts)

    # --- the timeline ---------------------------------------------------------------------

    def plan(self):
        """Every member's events with their times; replayed later in global time order."""
        rng = self.rng
        start = datetime.combine(self.today - timedelta(days=3 * 365), datetime.min.time(),
                                 tzinfo=UTC)
        span = timedelta(days=3 * 365 - 75)
        step = span / max(self.n, 1)
        self.staff_id = self.add(User, email=STAFF_EMAIL, full_name="Bench Registrar",
                                 is_staff=True, is_superuser=True, password=self.password,
                                 date_joined=start)
        self.add(EmailAddress, user_id=self.staff_id, email=STAFF_EMAIL, verified=True,
                 primary=True)
        events = []  # heap of (time, tiebreak, kind, state, data)
        tiebreak = 0
        half_way = start + span / 2
        self.states = []
        for i in range(self.n):
            submitted = start + step * i
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"member{i + 1}@bench.example"
            user_id = self.add(User, email=email, full_name=f"{first} {last}",
                               password=self.password, date_joined=submitted)
            self.add(EmailAddress, user_id=user_id, email=email, verified=True, primary=True)
            class_idx = rng.choices(range(len(CLASSES)), [c[8] for c in CLASSES])[0]
            _, _, price_now, price_before, min_s, max_s, *_ = CLASSES[class_idx]
            approved = submitted + timedelta(days=2)
            price = price_before if approved < half_way else price_now
            shares = min(max_s, min_s + int(rng.expovariate(0.7)))
            state = MemberState(idx=i, user_id=user_id, class_idx=class_idx, shares=shares,
                                price=price, min_shares=min_s)
            self.states.append(state)
            org = rng.random() < 0.05
            referred = i > 20 and rng.random() < 0.12
            state.application = dict(
                user_id=user_id, name=f"{first} {last}", email=email,
                kind=Kind.ORGANISATION if org else Kind.PERSON,
                organisation_name=f"{last} Studio {i + 1}" if org else "",
                registration_number=f"REG-{100000 + i}" if org else "",
                stakeholder_class_id=class_idx + 1, shares=shares,
                motivation="", bylaws_version="2024-01" if approved < half_way else "2026-01",
                source=Application.Source.PAPER if rng.random() < 0.03 else Application.Source.WEB,
                status=Application.Status.APPROVED, submitted_at=submitted,
                decided_at=approved, decided_by_id=self.staff_id,
                referrer_idx=rng.randrange(0, i) if referred else None)
            for when, kind, data in self.member_events(state, submitted, approved):
                tiebreak += 1
                events.append((when, tiebreak, kind, state, data))
        heapq.heapify(events)
        return events

    def member_events(self, state, submitted, approved):
        rng = self.rng
        yield submitted, "submit", None
        yield approved, "approve", None
        total = state.shares * state.price
        latest = datetime.combine(self.today, datetime.min.time(), tzinfo=UTC)

        def at(days, hours=10):
            return min(approved + timedelta(days=days, hours=hours), latest)

        if state.price == 0:
            if rng.random() < 0.05:
                yield at(rng.randint(30, 400)), "exit", None
            return
        scenario = rng.random()
        if scenario < 0.62:  # paid in full in one go
            yield at(rng.randint(0, 20)), "pay", total
        elif scenario < 0.80:  # instalments, the last one completing the subscription
            parts = rng.randint(2, 3)
            cuts = sorted(rng.sample(range(1, total), parts - 1)) if total > parts else []
            amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
            day = 0
            for amount in amounts:
                day += rng.randint(5, 30)
                yield at(day), "pay", amount
        elif scenario < 0.88:  # still awaiting payment: nothing yet or less than the buy-in
            if rng.random() < 0.5:
                short = max(1, state.min_shares * state.price - rng.randint(1, state.price))
                yield at(rng.randint(1, 40)), "pay", short
        elif scenario < 0.91:  # a bounced payment, reversed, then paid again
            yield at(3), "pay", total
            yield at(12), "reverse", None
            yield at(25), "pay", total
        else:  # paid, then resigned
            yield at(rng.randint(0, 10)), "pay", total
            yield at(rng.randint(60, 500)), "exit", None

    # --- the replay: the services' rules, in memory ---------------------------------------

    def replay(self, events):
        member_number = 0
        while events:
            when, _, kind, state, data = heapq.heappop(events)
            on = when.date()
            if kind == "submit":
                app = state.application
                referrer_idx = app.pop("referrer_idx")
                referrer = self.states[referrer_idx] if referrer_idx is not None else None
                # Only a current member may refer someone (as application_submit checks).
                if referrer and referrer.number and referrer.status in ("awaiting_payment",
                                                                        "active"):
                    app["referred_by_id"] = referrer.idx + 1
                state.application_id = self.add(Application, **app)
                self.audit_row(when, "application.submitted", "application",
                               state.application_id, state.user_id,
                               {"class": CLASSES[state.class_idx][0], "shares": state.shares,
                                "source": app["source"], "bylaws_version": app["bylaws_version"],
                                "referred_by": (self.states[app["referred_by_id"] - 1].number
                                                if app.get("referred_by_id") else None)})
            elif kind == "approve":
                member_number += 1
                state.number = member_number
                state.status = "awaiting_payment"
                state.joined_on = on
                self.audit_row(when, "member.admitted", "member", state.number, self.staff_id,
                               {"application": state.application_id,
                                "member_number": state.number,
                                "class": CLASSES[state.class_idx][0], "shares": state.shares,
                                "share_price_minor": state.price})
                if state.price == 0:
                    self.reconcile(state, when, payment_id=None)
            elif kind == "pay":
                state.paid += data
                payment_id = self.add(SharePayment, member_id=state.idx + 1, kind="payment",
                                      amount_minor=data, paid_on=on,
                                      reference=f"BANK-{state.number}", reverses_id=None,
                                      reason="", recorded_at=when, recorded_by_id=self.staff_id)
                state.last_payment = (payment_id, data)
                self.audit_row(when, "payment.recorded", "member", state.number, self.staff_id,
                               {"payment": payment_id, "amount_minor": data,
                                "paid_on": on.isoformat()})
                self.reconcile(state, when, payment_id)
            elif kind == "reverse":
                reversed_id, amount = state.last_payment
                state.paid -= amount
                reversal_id = self.add(SharePayment, member_id=state.idx + 1, kind="reversal",
                                       amount_minor=amount, paid_on=on,
                                       reference=f"BANK-{state.number}", reverses_id=reversed_id,
                                       reason="returned by the bank", recorded_at=when,
                                       recorded_by_id=self.staff_id)
                self.audit_row(when, "payment.reversed", "member", state.number, self.staff_id,
                               {"payment": reversed_id, "reversal": reversal_id,
                                "amount_minor": amount})
                self.reconcile(state, when, reversal_id)
            elif kind == "exit":
                numbers = []
                for cert_id in state.issued:
                    self.certificates[cert_id]["status"] = "redeemed"
                    numbers.append(self.certificates[cert_id]["certificate_number"])
                    self.add(RegisterEvent, kind="redeem", member_id=state.idx + 1,
                             certificate_id=cert_id, event_date=on, payment_id=None,
                             note="member exited", created_at=when)
                state.issued = []
                self.add(Redemption, member_id=state.idx + 1, amount_minor=state.paid,
                         requested_on=on, status=Redemption.Status.REQUESTED)
                state.status = "exited"
                state.exited_on = on
                self.audit_row(when, "member.exited", "member", state.number, state.user_id,
                               {"on": on.isoformat(), "redemption_minor": state.paid,
                                "certificates": numbers})

    def reconcile(self, state, when, payment_id):
        """membership.services._reconcile_holding, replayed in memory."""
        on = when.date()
        target = state.shares if state.price == 0 else min(state.paid // state.price, state.shares)
        current = len(state.issued)
        if target > current:
            numbers = []
            for _ in range(target - current):
                self.certificate_number += 1
                numbers.append(self.certificate_number)
                cert_id = self.add(ShareCertificate, certificate_number=self.certificate_number,
                                   member_id=state.idx + 1, issued_on=on, status="issued",
                                   payment_id=payment_id)
                self.certificates[cert_id] = self.rows[ShareCertificate][-1]
                state.issued.append(cert_id)
                self.add(RegisterEvent, kind="issue", member_id=state.idx + 1,
                         certificate_id=cert_id, event_date=on, payment_id=payment_id, note="",
                         created_at=when)
            self.audit_row(when, "shares.issued", "member", state.number, self.staff_id,
                           {"certificates": numbers, "on": on.isoformat()})
        elif target < current:
            # As the service: the shares the reversed payment completed first, then the latest.
            reversed_id = self.rows[SharePayment][payment_id - 1]["reverses_id"]
            order = sorted(state.issued, key=lambda c: (
                self.certificates[c]["payment_id"] != reversed_id,
                -self.certificates[c]["certificate_number"]))
            cancelled = order[:current - target]
            state.issued = [c for c in state.issued if c not in cancelled]
            for cert_id in cancelled:
                self.certificates[cert_id]["status"] = "cancelled"
                self.add(RegisterEvent, kind="cancel", member_id=state.idx + 1,
                         certificate_id=cert_id, event_date=on, payment_id=payment_id,
                         note="payment reversed", created_at=when)
            self.audit_row(when, "shares.cancelled", "member", state.number, self.staff_id,
                           {"certificates": [self.certificates[c]["certificate_number"]
                                             for c in cancelled]})
        should_be_active = target >= state.min_shares
        new_status = "active" if should_be_active else "awaiting_payment"
        if new_status != state.status:
            state.status = new_status
            state.activated_on = on if should_be_active else None
            self.audit_row(when, f"member.{new_status}", "member", state.number, self.staff_id,
                           {"on": on.isoformat(), "shares_held": target})

    def finish_members(self):
        rng = self.rng
        for state in self.states:
            app = self.rows[Application][state.application_id - 1]
            org = app["kind"] == Kind.ORGANISATION
            self.add(Member, member_number=state.number, user_id=state.user_id,
                     application_id=state.application_id, kind=app["kind"],
                     name=app["organisation_name"] or app["name"], email=app["email"],
                     registration_number=app["registration_number"],
                     contact_person=app["name"] if org else "",
                     stakeholder_class_id=state.class_idx + 1, status=state.status,
                     referred_by_id=app.get("referred_by_id"), joined_on=state.joined_on,
                     activated_on=state.activated_on, exited_on=state.exited_on,
                     exit_reason="moved away" if state.exited_on else "",
                     directory_visible=rng.random() < 0.9, shares_subscribed=state.shares,
                     shares_held=len(state.issued), paid_minor=state.paid)
            self.add(ShareSubscription, member_id=state.idx + 1, shares=state.shares,
                     share_price_minor=state.price, subscribed_on=state.joined_on)
        # Members are created in the order of self.states (idx), so member pk == idx + 1,
        # which the foreign keys above already assumed.
        latest = datetime.combine(self.today, datetime.min.time(), tzinfo=UTC)
        for j in range(self.pending):
            email = f"applicant{j + 1}@bench.example"
            when = latest - timedelta(hours=j + 1)
            user_id = self.add(User, email=email, full_name=f"Applicant {j + 1}",
                               password=self.password, date_joined=when)
            self.add(EmailAddress, user_id=user_id, email=email, verified=True, primary=True)
            self.add(Application, user_id=user_id, name=f"Applicant {j + 1}", email=email,
                     kind=Kind.PERSON, organisation_name="", registration_number="",
                     stakeholder_class_id=1, shares=2, motivation="I take photographs.",
                     bylaws_version="2026-01", source=Application.Source.WEB,
                     status=Application.Status.PENDING, submitted_at=when)

    def run(self):
        t0 = time.monotonic()
        self.password = make_password(BENCH_PASSWORD)
        self.certificates = {}
        events = self.plan()
        self.replay(events)
        self.finish_members()
        print(f"planned in {time.monotonic() - t0:.1f}s: "
              + ", ".join(f"{m.__name__} {len(r)}" for m, r in self.rows.items()), flush=True)
        self.write()
        print(f"written in {time.monotonic() - t0:.1f}s", flush=True)

    def write(self):
        auto_now = [(Application, "submitted_at"), (SharePayment, "recorded_at"),
                    (RegisterEvent, "created_at"), (AuditRecord, "created_at")]
        # The generated timestamps are the history; auto_now_add would stamp them all "now".
        for model, name in auto_now:
            model._meta.get_field(name).auto_now_add = False
        try:
            with transaction.atomic():
                coop = Cooperative.current()
                coop.bylaws_version = "2026-01"
                coop.save()
                for pk, (slug, name, price, _, mn, mx, weight, measure, _) in enumerate(
                        CLASSES, start=1):
                    StakeholderClass.objects.create(
                        id=pk, slug=slug, name=name, share_price_minor=price, min_shares=mn,
                        max_shares=mx, vote_weight=weight, patronage_measure=measure)
                # Django declares foreign keys DEFERRABLE INITIALLY DEFERRED, so an
                # application may name its referring member before the members are written.
                order = [User, EmailAddress, Application, Member, ShareSubscription,
                         SharePayment, ShareCertificate, RegisterEvent, Redemption, AuditRecord]
                for model in order:
                    rows = self.rows[model]
                    for start in range(0, len(rows), BATCH):
                        model.objects.bulk_create([model(**r) for r in rows[start:start + BATCH]])
                    print(f"  {model.__name__}: {len(rows)}", flush=True)
                Counter.objects.update_or_create(name="member_number",
                                                 defaults={"last_value": self.n})
                Counter.objects.update_or_create(
                    name="certificate_number", defaults={"last_value": self.certificate_number})
                models = [StakeholderClass, *order]
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), models):
                        cursor.execute(sql)
        finally:
            for model, name in auto_now:
                model._meta.get_field(name).auto_now_add = True
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


def check() -> list[str]:
    """The invariants the services keep, checked over the whole database."""
    problems = []
    members = Member.objects.count()
    numbers = Member.objects.aggregate(m=Max("member_number"))["m"] or 0
    if numbers != members:
        problems.append(f"member numbers not gap-free: {members} members, max {numbers}")
    counters = dict(Counter.objects.values_list("name", "last_value"))
    if counters.get("member_number", 0) != numbers:
        problems.append(f"member_number counter {counters.get('member_number')} != {numbers}")
    certs = ShareCertificate.objects.aggregate(n=Count("id"), m=Max("certificate_number"))
    if (certs["m"] or 0) != certs["n"]:
        problems.append(f"certificate numbers not gap-free: {certs}")
    if counters.get("certificate_number", 0) != (certs["m"] or 0):
        problems.append(f"certificate counter {counters.get('certificate_number')} != {certs}")
    issued = dict(ShareCertificate.objects.filter(status="issued").values("member")
                  .annotate(n=Count("id")).values_list("member", "n"))
    register = dict(RegisterEvent.objects.values("member").annotate(
        n=Count("id", filter=Q(kind="issue")) - Count("id", filter=~Q(kind="issue")))
        .values_list("member", "n"))
    paid = dict(SharePayment.objects.values("member").annotate(
        n=Sum("amount_minor", filter=Q(kind="payment"), default=0)
        - Sum("amount_minor", filter=Q(kind="reversal"), default=0)).values_list("member", "n"))
    rows = Member.objects.values_list("pk", "member_number", "status", "shares_held",
                                      "paid_minor", "subscription__shares",
                                      "subscription__share_price_minor",
                                      "stakeholder_class__min_shares", "activated_on")
    for pk, number, status, held, paid_minor, subscribed, price, min_shares, activated in rows:
        def bad(what, number=number):
            problems.append(f"member {number}: {what}")
        if issued.get(pk, 0) != held or register.get(pk, 0) != held:
            bad(f"held {held}, issued certificates {issued.get(pk, 0)}, "
                f"register {register.get(pk, 0)}")
        if paid.get(pk, 0) != paid_minor:
            bad(f"paid_minor {paid_minor} != payments {paid.get(pk, 0)}")
        if status == "exited":
            if held:
                bad("exited but holds shares")
            continue
        expected = subscribed if price == 0 else min(paid_minor // price, subscribed)
        if held != expected:
            bad(f"held {held}, expected {expected}")
        if (status == "active") != (held >= min_shares) or (status == "active") != bool(activated):
            bad(f"status {status} with {held} shares (min {min_shares}), activated {activated}")
        if len(problems) > 20:
            break
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=300, help="pending applications")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-audit", action="store_true", help="skip the audit records")
    parser.add_argument("--check", action="store_true", help="only verify the invariants")
    parser.add_argument("--force", action="store_true",
                        help="allow a database whose name does not contain 'bench'")
    args = parser.parse_args()
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name and not args.force:
        sys.exit(f"refusing to touch {name!r}: its name lacks 'bench' (use --force)")
    if not args.check:
        if Member.objects.exists() or User.objects.exists():
            sys.exit(f"{name!r} already has users or members: generate into an empty database")
        Generator(args.members, args.seed, not args.no_audit, args.pending).run()
    t0 = time.monotonic()
    problems = check()
    for problem in problems:
        print("PROBLEM", problem)
    print(f"check: {Member.objects.count()} members, "
          f"{ShareCertificate.objects.count()} certificates, "
          f"{len(problems)} problem(s) ({time.monotonic() - t0:.1f}s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
