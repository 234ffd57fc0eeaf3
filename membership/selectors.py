"""Every non-trivial read of the membership pillar, for the API, the browser views and admin.

The functions return querysets (lazy, so callers paginate them) or small dataclasses. None of
them decides *who* may see what: the API and the views check that first and then ask for the
rows they may show (e.g. `members_for_api(user=...)` for a member looking at themself).

Query counts are constant in the number of members: every list joins what it shows with
`select_related` and never touches a relation per row. The tests pin them.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import (
    Application,
    Member,
    Redemption,
    ShareCertificate,
    SharePayment,
    StakeholderClass,
)

# --- classes and applications -------------------------------------------------------------


def stakeholder_classes() -> QuerySet[StakeholderClass]:
    return StakeholderClass.objects.order_by("slug")


def applications_for_api(*, status: str | None = None) -> QuerySet[Application]:
    """Applications in the order they were submitted (the order approvals number them in)."""
    applications = Application.objects.select_related(
        "stakeholder_class", "referred_by"
    ).order_by("submitted_at", "pk")
    if status:
        applications = applications.filter(status=status)
    return applications


# --- members ------------------------------------------------------------------------------


def members_for_api(
    *,
    user=None,
    status: str | None = None,
    stakeholder_class: str | None = None,
) -> QuerySet[Member]:
    """Members by member number, each with its class joined (one query per page).

    `user`: only that person's own member row (what a member who is not staff may see).
    `status`, `stakeholder_class` (a slug): optional filters.
    """
    members = Member.objects.select_related("stakeholder_class").order_by("member_number")
    if user is not None:
        members = members.filter(user=user)
    if status:
        members = members.filter(status=status)
    if stakeholder_class:
        members = members.filter(stakeholder_class__slug=stakeholder_class)
    return members


def member_directory(
    *,
    search: str = "",
    stakeholder_class: str | None = None,
) -> QuerySet[Member]:
    """The directory members see of each other: name, class and member since, by name.

    Only `active` members who have not hidden themselves. Why active only: a member awaiting
    payment has not yet been issued their buy-in shares (no vote, not yet "in"), and an exited
    member has left – listing them would tell other members something they did not choose to
    share. The caller must check that the viewer is a member; the rows carry no email address
    or registration number (`only()` keeps them out of the query altogether).
    Uses the index (directory_visible, status, name).
    """
    members = (
        Member.objects.filter(directory_visible=True, status=Member.Status.ACTIVE)
        .select_related("stakeholder_class")
        .only("member_number", "name", "kind", "activated_on", "joined_on",
              "stakeholder_class__slug", "stakeholder_class__name")
        .order_by("name", "member_number")
    )
    if search.strip():
        members = members.filter(name__icontains=search.strip())
    if stakeholder_class:
        members = members.filter(stakeholder_class__slug=stakeholder_class)
    return members


def certificates_of(member: Member) -> QuerySet[ShareCertificate]:
    """Every certificate the member was ever issued (cancelled and redeemed ones too)."""
    return ShareCertificate.objects.filter(member=member).order_by("certificate_number")


def payments_of(member: Member) -> QuerySet[SharePayment]:
    """Payments and reversals, oldest first; `reversal` is joined so `is_reversed` is free."""
    return (
        SharePayment.objects.filter(member=member)
        .select_related("reversal", "reverses")
        .order_by("paid_on", "pk")
    )


# --- a member's own page ------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """Something the member can do next. `code` is stable (templates and apps switch on it);
    `text` is a plain English sentence; `amount_minor` is set when money is involved."""

    code: str
    text: str
    amount_minor: int | None = None


@dataclass
class MemberHome:
    member: Member
    share_price_minor: int
    subscribed_minor: int  # the whole subscription at the frozen price
    outstanding_minor: int  # what is left to pay on the subscription
    certificates: list[ShareCertificate]
    payments: list[SharePayment]
    redemption: Redemption | None
    next_steps: list[NextStep] = field(default_factory=list)

    @property
    def issued_certificates(self) -> list[ShareCertificate]:
        return [c for c in self.certificates if c.status == ShareCertificate.Status.ISSUED]


def member_home(member: Member) -> MemberHome:
    """What a member's home page shows: membership, shares, certificates, payments, next steps.

    Three queries whatever the member's history: the member with class, subscription and
    redemption; their certificates; their payments with reversals.
    """
    member = (
        Member.objects.select_related("stakeholder_class", "subscription", "redemption")
        .get(pk=member.pk)
    )
    subscription = getattr(member, "subscription", None)
    price = subscription.share_price_minor if subscription else 0
    subscribed = subscription.total_minor if subscription else 0
    outstanding = max(subscribed - member.paid_minor, 0)
    try:
        redemption = member.redemption
    except Redemption.DoesNotExist:
        redemption = None
    home = MemberHome(
        member=member,
        share_price_minor=price,
        subscribed_minor=subscribed,
        outstanding_minor=outstanding,
        certificates=list(certificates_of(member)),
        payments=list(payments_of(member)),
        redemption=redemption,
    )
    home.next_steps = _next_steps(member, home)
    return home


def _next_steps(member: Member, home: MemberHome) -> list[NextStep]:
    steps: list[NextStep] = []
    if member.status == Member.Status.AWAITING_PAYMENT:
        buy_in = member.stakeholder_class.min_shares * home.share_price_minor
        to_activate = max(buy_in - member.paid_minor, 0)
        steps.append(NextStep(
            code="pay_buy_in",
            text="Pay for your buy-in shares to become an active member who can vote.",
            amount_minor=to_activate,
        ))
    elif member.status == Member.Status.ACTIVE and home.outstanding_minor > 0:
        steps.append(NextStep(
            code="pay_remaining",
            text="Pay the rest of your subscription to be issued your remaining shares.",
            amount_minor=home.outstanding_minor,
        ))
    if member.status == Member.Status.ACTIVE:
        steps.append(NextStep(code="take_part",
                              text="Take part in the open proposals and votes."))
    if member.status == Member.Status.EXITED and home.redemption is not None:
        steps.append(NextStep(
            code="await_redemption",
            text="Your share capital is paid back once the fiscal period you left in closes.",
            amount_minor=home.redemption.amount_minor,
        ))
    return steps


def member_of(user) -> Member | None:
    """The signed-in person's member row (any status), or None."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    related = get_user_model().member.related
    if related.is_cached(user):
        # Loaded with the user by coop.auth_backends (or by an earlier call).
        return related.get_cached_value(user)
    member = Member.objects.select_related("stakeholder_class").filter(user=user).first()
    # Remember it (or its absence) on the user, so `user.member` in the layout costs no query.
    # (request.user is a lazy wrapper: the field cache is set through the model's descriptor.)
    related.set_cached_value(user, member)
    return member


def application_of(user) -> Application | None:
    """The person's most recent application (to show its state to a non-member)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    return (Application.objects.select_related("stakeholder_class")
            .filter(user=user).order_by("-submitted_at", "-pk").first())
