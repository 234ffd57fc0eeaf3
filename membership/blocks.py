"""Membership's blocks for the pages `dashboard` composes (the landing page, the member home)
and the person a page is for. Each returns a `coop.blocks.Block`: a template under
`templates/membership/blocks/` and its context."""

from collections.abc import Callable, Mapping

from coop.blocks import Block
from coop.models import Cooperative

from . import selectors
from .models import Member
from .views import _class_rows, _member_of, money

# A higher app's part of a next step, by the step's code: called only when the member has that
# step, so a block nobody sees costs no query.
StepBlocks = Mapping[str, Callable[[Member], Block]]


def page_member(user) -> Member | None:
    """The signed-in person's member row (any status) or None, remembered on `user` so the
    navigation's `user.member` asks the database nothing more."""
    return _member_of(user)


def landing(cooperative: Cooperative) -> Block:
    return Block("membership/blocks/landing.html", {
        "coop": cooperative, "classes": _class_rows(cooperative.currency),
        "active_members": Member.objects.filter(status=Member.Status.ACTIVE).count(),
    })


def applicant(user) -> Block:
    """The home of a signed-in person who is not a member: their application, if any."""
    return Block("membership/blocks/applicant.html",
                 {"application": selectors.application_of(user)})


def member_home(member: Member, cooperative: Cooperative, *,
                step_blocks: StepBlocks | None = None) -> Block:
    """The member's membership, shares, certificates, payments and next steps; a step whose
    code is in `step_blocks` is shown by the higher app's block."""
    currency = cooperative.currency
    step_blocks = step_blocks or {}
    home = selectors.member_home(member)
    steps = [{"step": step,
              "amount": money(step.amount_minor, currency)
              if step.amount_minor is not None else None,
              "block": step_blocks[step.code](home.member) if step.code in step_blocks else None}
             for step in home.next_steps]
    for payment in home.payments:
        payment.amount_display = money(payment.amount_minor, currency)
    return Block("membership/blocks/member_home.html", {
        "coop": cooperative,
        "member": home.member,
        "home": home,
        "next_steps": steps,
        "paid": money(home.member.paid_minor, currency),
        "total": money(home.subscribed_minor, currency),
        "price": money(home.share_price_minor, currency),
        "payment_reference": cooperative.payment_reference_for(home.member.member_number),
    })
