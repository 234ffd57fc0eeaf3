"""The demo cooperative's members for `seed_demo` (dashboard/management/commands/seed_demo.py,
which runs each app's seed in order): built through the real services so the register and the
audit trail are what production would hold. Deterministic (seeded random, dates relative to
today)."""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from coop.models import Cooperative, Notice, User
from membership import bylaws, services
from membership.models import Application, Bylaws, Member, SharePayment, StakeholderClass

SEED = 2026
COOP_NAME = "Lightbox Photographers' Cooperative"
DEMO_MEMBER = ("member@demo.coop", "demo-member-2026", "Mira Lindqvist")
DEMO_STAFF = ("staff@demo.coop", "demo-staff-2026", "Dana Okafor")
MONTHS = 36  # of history, so vitality has 36 months of trends and growth_3m to show

# How the demo's members pay (the IBAN is the well-known example, valid but nobody's).
DEMO_PAYMENT = {"payment_account_holder": "Lightbox Photographers' Cooperative eG",
                "payment_iban": "DE89370400440532013000", "payment_bic": "COBADEFFXXX",
                "payment_reference": "Member {number}",
                "payment_instructions": "Instalments are welcome: pay what you can each month."}
DEMO_BYLAWS = """Article 1. Name and seat
The cooperative is called Lightbox Photographers' Cooperative. It is owned and governed by its
members: photographers, clients and staff.

Article 2. Purpose
The cooperative licenses its photographer members' work fairly, pays them the larger part of
every licence fee, and serves clients who want to buy from the people who make the pictures.

Article 3. Membership
Anyone who shares the purpose may apply in one class. The board decides on applications. A
member subscribes at least the minimum number of shares of their class and becomes an active
member, with a vote, once those shares are paid.

Article 4. Shares
Shares are paid at their nominal price and may be paid in instalments. A member who leaves is
paid back the paid-up value of their shares after the close of the financial year.

Article 5. General assembly and votes
Proposals are discussed before they are voted on. Each class votes with the weight the
general assembly gave it. An amendment of these bylaws needs two thirds of the weighted
votes cast and a quorum of 30 percent.
"""

CLASSES = [
    {"slug": "photographers", "name": "Photographers", "share_price_minor": 5000,
     "min_shares": 2, "max_shares": 40, "vote_weight": 3, "patronage_measure": "licences sold",
     "description": "Photographers who license their work through the cooperative."},
    {"slug": "clients", "name": "Clients", "share_price_minor": 2500, "min_shares": 1,
     "max_shares": 20, "vote_weight": 2, "patronage_measure": "licence fees paid (EUR)",
     "description": "Newsrooms, agencies, NGOs and people who buy licences."},
    {"slug": "staff", "name": "Staff", "share_price_minor": 1000, "min_shares": 1,
     "max_shares": 10, "vote_weight": 1, "patronage_measure": "hours worked",
     "description": "The people who run the archive, sales and the platform."},
]
# Share of each intake per class; clients are often organisations.
CLASS_WEIGHTS = {"photographers": 55, "clients": 35, "staff": 10}
FIRST_NAMES = [
    "Aino", "Bram", "Chiara", "Dário", "Elif", "Farah", "Gustav", "Hanna", "Ines", "Jonas",
    "Kaja", "Luca", "Maren", "Nikos", "Olga", "Pieter", "Quentin", "Rosa", "Sven", "Tereza",
    "Ugo", "Vera", "Wim", "Xenia", "Yusuf", "Zofia", "Amara", "Björn", "Camille", "Dmitri",
    "Emma", "Filip", "Greta", "Hugo", "Ilse", "Jakub", "Klara", "Lars", "Marta", "Noor",
]
LAST_NAMES = [
    "Andersen", "Bakker", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Horvat",
    "Ivanova", "Jansen", "Kowalski", "Lehmann", "Moreau", "Nowak", "Olsen", "Petrović",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Urbán", "Virtanen", "Weber", "Yilmaz", "Zanetti",
    "Mensah", "Novák", "Leclerc", "Haddad", "Brennan",
]
ORGANISATIONS = [
    "Northlight Media", "Harbour Daily", "Open Rivers NGO", "Studio Meridian", "Atlas Travel Mag",
    "Greenfield Press", "Civic Voice Foundation", "Baltic Design Agency", "Kite & Lens Books",
    "Urban Atlas Publishing", "Seabird Conservation Trust", "Mosaic Advertising",
    "Fjord Outdoor", "Tideline Magazine", "Common Ground Festival", "Redbrick University Press",
]
MOTIVATIONS = [
    "I want my archive licensed fairly and to have a say in the prices.",
    "We buy a lot of editorial photography and prefer to buy from the people who make it.",
    "Referred by a colleague; I like that photographers own the agency.",
    "Looking for an ethical alternative to the big stock platforms.",
    "",
]
REJECTION_REASONS = [
    "The portfolio does not show the professional practice the bylaws require.",
    "Duplicate application: already applied under another address.",
    "The organisation could not be verified in the trade register.",
]
EXIT_REASONS = ["Retiring from photography.", "Moving abroad.", "The organisation closed.",
                "Changed careers.", ""]


@dataclass(order=True)
class Event:
    on: date
    seq: int
    action: str = field(compare=False)
    payload: dict = field(compare=False, default_factory=dict)


class DemoBuilder:
    def __init__(self, *, stdout, today: date):
        self.rng = random.Random(SEED)
        self.today = today
        self.stdout = stdout
        self.queue: list[Event] = []
        self.seq = itertools.count()
        self.names = itertools.count()
        self.members: list[Member] = []
        self.counts = {"applications": 0, "approved": 0, "rejected": 0, "payments": 0,
                       "reversals": 0, "exits": 0, "hidden": 0}

    def schedule(self, on: date, action: str, **payload) -> None:
        heapq.heappush(self.queue, Event(on, next(self.seq), action, payload))

    # --- people -------------------------------------------------------------------------
    def person(self) -> tuple[str, str]:
        n = next(self.names)
        first = FIRST_NAMES[self.rng.randrange(len(FIRST_NAMES))]
        last = LAST_NAMES[self.rng.randrange(len(LAST_NAMES))]
        email = f"{first.lower()}.{last.lower()}.{n}@example.org"
        return f"{first} {last}", email.encode("ascii", "ignore").decode()

    def user(self, email: str, name: str, password: str | None = None, **extra) -> User:
        from allauth.account.models import EmailAddress

        user = User(email=email, full_name=name, **extra)
        if password:
            user.set_password(password)
        else:
            # Demo people other than the two demo accounts sign in only after a reset.
            user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    # --- the story ----------------------------------------------------------------------
    def build(self) -> None:
        coop = Cooperative.current()
        Cooperative.objects.filter(pk=coop.pk).update(currency="EUR", **DEMO_PAYMENT)
        email, password, name = DEMO_STAFF
        self.staff = self.user(email, name, password, is_staff=True, is_superuser=True)
        if not Bylaws.objects.exists():
            bylaws.bylaws_save(actor=self.staff, bylaws=Bylaws(
                version="2026-01", text=DEMO_BYLAWS, published=True,
                adopted_on=_add_months(self.today.replace(day=1), -MONTHS)))
        self.classes = {}
        for spec in CLASSES:
            existing = StakeholderClass.objects.filter(slug=spec["slug"]).first()
            self.classes[spec["slug"]] = existing or services.stakeholder_class_create(
                actor=self.staff, **spec)

        first_month = _add_months(self.today.replace(day=1), -MONTHS)
        for index in range(MONTHS + 1):
            month = _add_months(first_month, index)
            self.schedule(month, "intake", month_index=index)
        while self.queue:
            event = heapq.heappop(self.queue)
            if event.on > self.today:
                continue  # has not happened yet
            getattr(self, f"do_{event.action}")(event.on, **event.payload)
        # This week's applications wait for the staff to look at them.
        self.intake(self.today, count=18, approve=False)

    def do_intake(self, on: date, month_index: int) -> None:
        count = 7 + self.rng.randrange(7) + month_index // 6  # a cooperative that grows
        ids = self.intake(on, count=count, approve=True,
                          with_demo_member=(month_index == 3))
        self.schedule(on + timedelta(days=14 + self.rng.randrange(10)), "approve", ids=ids)

    def intake(self, on: date, *, count: int, approve: bool,
               with_demo_member: bool = False) -> list[int]:
        ids = []
        for i in range(count):
            slug = self.rng.choices(list(CLASS_WEIGHTS), weights=list(CLASS_WEIGHTS.values()))[0]
            ids.append(self.submit(on, i, slug))
        if with_demo_member:
            email, password, name = DEMO_MEMBER
            user = self.user(email, name, password)
            application = services.application_submit(
                stakeholder_class=self.classes["photographers"], shares=4, name=name,
                email=email, user=user, motivation=MOTIVATIONS[0])
            self.backdate(application, on, count)
            ids.append(application.pk)
        return ids

    def submit(self, on: date, position: int, slug: str) -> int:
        stakeholder_class = self.classes[slug]
        name, email = self.person()
        organisation = slug == "clients" and self.rng.random() < 0.35
        organisation_name = registration = ""
        if organisation:
            organisation_name = ORGANISATIONS[self.rng.randrange(len(ORGANISATIONS))]
            organisation_name += f" {self.rng.choice(['BV', 'GmbH', 'Ltd', 'e.V.', 'SA'])}"
            registration = f"REG-{self.rng.randrange(10**6, 10**7)}"
        paper = self.rng.random() < 0.2
        user = None if paper else self.user(email, name)
        high = min(stakeholder_class.max_shares, stakeholder_class.min_shares * 4)
        shares = self.rng.randint(stakeholder_class.min_shares, high)
        referrer = None
        current = [m for m in self.members[-120:] if m.status in ("active", "awaiting_payment")]
        if current and self.rng.random() < 0.18:
            referrer = self.rng.choice(current)
        application = services.application_submit(
            stakeholder_class=stakeholder_class, shares=shares, name=name, email=email, user=user,
            motivation=self.rng.choice(MOTIVATIONS), referred_by=referrer,
            organisation_name=organisation_name, registration_number=registration,
            source=Application.Source.PAPER if paper else Application.Source.WEB,
            actor=self.staff if paper else None,
        )
        self.backdate(application, on, position)
        self.counts["applications"] += 1
        return application.pk

    def backdate(self, application: Application, on: date, position: int) -> None:
        # Only for the demo's history: the services stamp "now", the story happened earlier.
        # Minutes apart, in submission order, so batch approvals number them in that order.
        moment = timezone.make_aware(datetime.combine(on, time(9)) + timedelta(minutes=position))
        Application.objects.filter(pk=application.pk).update(submitted_at=moment)

    def do_approve(self, on: date, ids: list[int]) -> None:
        demo_email = DEMO_MEMBER[0]
        rejected = [pk for pk in ids if self.rng.random() < 0.06]
        for pk in rejected:
            application = Application.objects.get(pk=pk)
            if application.email == demo_email:
                continue
            services.application_reject(application=application, actor=self.staff,
                                        reason=self.rng.choice(REJECTION_REASONS))
            # Decided on the story's day (the service stamps now); its notice follows it.
            Application.objects.filter(pk=pk).update(decided_at=_at(on))
            self.counts["rejected"] += 1
        approve = list(Application.objects.filter(pk__in=ids, status="pending")
                       .values_list("pk", flat=True))
        members = services.applications_approve(application_ids=approve, actor=self.staff, on=on)
        self.counts["approved"] += len(members)
        for member in members:
            self.members.append(member)
            if member.email == demo_email:
                self.schedule(on + timedelta(days=5), "pay", member=member, amount=10000)
                self.schedule(on + timedelta(days=40), "pay", member=member, amount=10000)
                continue
            if self.rng.random() < 0.1:
                services.member_directory_visibility_set(member=member, visible=False,
                                                         actor=self.staff)
                self.counts["hidden"] += 1
            self.plan_payments(member, on)

    def plan_payments(self, member: Member, on: date) -> None:
        subscription = member.subscription
        total = subscription.total_minor
        price = subscription.share_price_minor
        plan = self.rng.choices(["full", "instalments", "partial", "none"],
                                weights=[55, 30, 8, 7])[0]
        start = on + timedelta(days=2 + self.rng.randrange(20))
        if plan == "full":
            self.schedule(start, "pay", member=member, amount=total,
                          bounce=self.rng.random() < 0.02)
        elif plan == "instalments":
            parts = self.rng.randint(2, 4)
            amounts = _split(total, parts)
            for k, amount in enumerate(amounts):
                self.schedule(start + timedelta(days=30 * k), "pay", member=member, amount=amount)
        elif plan == "partial":
            # Less than the buy-in so far: waits in awaiting_payment with some money in.
            minimum = member.stakeholder_class.min_shares * price
            amount = max(1, minimum // (2 + self.rng.randrange(3)))
            self.schedule(start, "pay", member=member, amount=amount)
        # "none": approved, nothing paid yet.
        if plan in ("full", "instalments") and self.rng.random() < 0.08:
            self.schedule(start + timedelta(days=120 + self.rng.randrange(600)), "exit",
                          member=member)

    def do_pay(self, on: date, member: Member, amount: int, bounce: bool = False) -> None:
        member.refresh_from_db()
        if member.status not in ("active", "awaiting_payment"):
            return
        payment = services.share_payment_record(member=member, amount_minor=amount, paid_on=on,
                                                reference=f"SEPA {self.rng.randrange(10**8):08d}",
                                                actor=self.staff)
        self.counts["payments"] += 1
        if bounce:
            # The bank returned it; the member paid again a little later.
            self.schedule(on + timedelta(days=6), "reverse", payment=payment)
            self.schedule(on + timedelta(days=15), "pay", member=member, amount=amount)

    def do_reverse(self, on: date, payment) -> None:
        services.share_payment_reverse(payment=payment, on=on, actor=self.staff,
                                       reason="Returned by the bank (insufficient funds).")
        self.counts["reversals"] += 1

    def do_exit(self, on: date, member: Member) -> None:
        member.refresh_from_db()
        if member.status != "active":
            return
        services.member_exit(member=member, on=on, actor=self.staff,
                             reason=self.rng.choice(EXIT_REASONS))
        self.counts["exits"] += 1


def _at(day: date) -> datetime:
    """The moment of the day a demo event happened (office hours, the cooperative's zone)."""
    return timezone.make_aware(datetime.combine(day, time(10)))


def date_notices_by_history() -> None:
    """The notices are stamped with the moment the seed runs; date each at its own event
    instead, as governance's `date_by_history` does for votes: the welcome on the day of
    admission, a payment's notice on the day it was paid, a rejection when it was decided.
    The notices are made as the seed's transaction commits: `seed_demo` calls this after."""
    moments = {
        "membership.application_approved": (Member, lambda member: _at(member.joined_on)),
        "membership.payment_recorded": (SharePayment, lambda payment: _at(payment.paid_on)),
        "membership.application_rejected": (Application, lambda app: app.decided_at),
    }
    for kind, (model, moment) in moments.items():
        notices = list(Notice.objects.filter(
            kind=kind, target_type=ContentType.objects.get_for_model(model)))
        targets = model.objects.in_bulk({notice.target_id for notice in notices})
        for notice in notices:
            target = targets.get(notice.target_id)
            if target is None or moment(target) is None:
                continue
            notice.created_at = moment(target)
            if notice.emailed_at is not None:
                notice.emailed_at = notice.created_at
        Notice.objects.bulk_update(notices, ["created_at", "emailed_at"], batch_size=500)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def is_seeded() -> bool:
    """A second run finds the demo staff account and changes nothing."""
    return User.objects.filter(email=DEMO_STAFF[0]).exists()


def demo_member() -> Member | None:
    """The demo member account's row (the higher apps' seeds give it a part to play)."""
    return Member.objects.filter(user__email=DEMO_MEMBER[0]).first()


def seed_membership(*, stdout, today: date) -> str:
    """The classes, 30 months of applications, payments and exits up to `today`; returns the
    summary line for the command's output."""
    builder = DemoBuilder(stdout=stdout, today=today)
    builder.build()
    by_status = {s: Member.objects.filter(status=s).count() for s in Member.Status.values}
    counts = builder.counts
    return (f"Seeded {COOP_NAME}: {counts['applications'] + 1} applications "
            f"({counts['rejected']} rejected, "
            f"{Application.objects.filter(status='pending').count()} pending), members by status "
            f"{by_status}, {counts['payments']} payments ({counts['reversals']} reversed), "
            f"{counts['hidden']} hidden from the directory")
