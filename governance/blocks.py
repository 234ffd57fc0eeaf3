"""Governance's blocks for the pages `dashboard` composes, and its numbers for the navigation.
Each block is a `coop.blocks.Block` (a template under `templates/governance/blocks/`)."""

from coop.blocks import Block
from membership.models import Member

from .models import Elector, Proposal


def votes_waiting(member: Member) -> int:
    """Open votes in whose electorate the member is and has not voted yet (one query)."""
    return Elector.objects.filter(member=member, proposal__status=Proposal.Status.VOTING,
                                  voted_at__isnull=True).count()


def take_part(member: Member) -> Block:
    """The member home's "take part" step: how many votes wait for the member, with a link."""
    return Block("governance/blocks/take_part.html",
                 {"open_proposals": votes_waiting(member) if member.is_active else None})
