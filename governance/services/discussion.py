"""The discussion under a proposal."""


from django.db import transaction

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.notices import notices_create
from membership.models import Member

from .. import rules
from ..models import (
    Comment,
    Proposal,
)

# --- discussion and follow-up -------------------------------------------------------------


@transaction.atomic
def comment_post(
    *, proposal: Proposal, member: Member, body: str, parent: Comment | None = None
) -> Comment:
    if not body or not body.strip():
        raise InvalidInput("Write something first.", errors={"body": ["This field is required."]})
    if not rules.may_comment(member):
        raise NotAllowed("Only members can take part in the discussion.")
    if not rules.is_open_for_discussion(proposal):
        raise Conflict("This proposal is not open for discussion.")
    if parent is not None and parent.proposal_id != proposal.pk:
        raise InvalidInput("The reply must be to a comment on the same proposal.")
    comment = Comment.objects.create(
        proposal=proposal, author=member, body=body.strip(), parent=parent
    )
    audit_record(
        action="comment.posted",
        object_type="proposal",
        object_id=proposal.pk,
        actor=member.user,
        facts={"comment": comment.pk},
    )
    # The authors of the proposal and of the comment replied to, not the commenter.
    told = {proposal.author_id, parent.author_id if parent else None} - {None, member.pk}
    notices_create(kind="governance.comment", recipient_model=Member, recipient_ids=sorted(told),
                   target=comment)
    return comment
