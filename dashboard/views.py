"""The pages composed of every pillar's blocks. Each app decides what its block shows (and
reads it through its selectors); these views only choose the blocks and their order."""

from django.shortcuts import render

from coop.models import Cooperative
from governance import blocks as governance_blocks
from membership import blocks as membership_blocks
from vitality import blocks as vitality_blocks


def home(request):
    """The landing page for visitors, the application for people who are not members yet, the
    member home for members."""
    cooperative = Cooperative.current()
    if not request.user.is_authenticated:
        title, blocks = "Welcome", [membership_blocks.landing(cooperative)]
    elif (member := membership_blocks.page_member(request.user)) is None:
        title, blocks = "Home", [membership_blocks.applicant(request.user)]
    else:
        title, blocks = "My membership", [
            membership_blocks.member_home(
                member, cooperative, step_blocks={"take_part": governance_blocks.take_part}),
            vitality_blocks.pulse(member),
            vitality_blocks.highlights(member),
        ]
    return render(request, "dashboard/home.html", {"title": title, "blocks": blocks})
