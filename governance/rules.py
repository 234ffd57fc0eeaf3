"""Governance's permission and visibility rules, one home each (issue #7). The browser views,
the API, the admin, the services and the tasks all ask these; none writes its own copy.

An actor is whoever acts: a user (a person; staff or not), a partner key
(`coop.models.PartnerApiKey`), a system job (`coop.actors.SystemActor`), or None (nobody
signed in). The member of a person is read with `membership.selectors.member_of`, which
caches it on the user: after the face has loaded it, asking costs no query.

Who may do what (RULES.md §2; where the faces used to disagree the stricter rule won, see
docs/architecture.md, "Where a rule or a permission goes"):
- read proposals, results, receipts and the discussion: staff, a `governance:read` key, a
  current member (active or awaiting payment), a system job;
- see a draft: its author (while a current member), staff, a partner key, a system job;
  to anybody else it does not exist (404);
- propose: an active member (as the author), a `governance:write` key, a system job;
- edit, submit, withdraw: the author (while a current member) or staff;
- open the vote: the author (while a current member), staff, a `governance:write` key, a
  system job; before the discussion period has run only staff or a `governance:write` key,
  with a stated reason;
- close, cancel, outcome statement, implementation: staff, a `governance:write` key, a
  system job;
- comment: a current member; vote: an active member in the electorate (never a key, never
  staff as such, never a system job).
"""

from collections.abc import Mapping
from datetime import date, datetime

from django.db.models import Q, QuerySet

from coop.actors import is_system
from coop.api_auth import key_allows
from coop.models import PartnerApiKey
from membership import rules as membership_rules
from membership.models import Member
from membership.selectors import member_of

from .models import Method, Proposal
from .tally import CHOICES

READ, WRITE = "governance:read", "governance:write"

# The text and the deadline may change, and the author may withdraw, until voting opens.
EDITABLE_STATUSES = (Proposal.Status.DRAFT, Proposal.Status.DISCUSSION)
# Nobody comments on a proposal that is not (or no longer) put to the members.
NO_DISCUSSION_STATUSES = (Proposal.Status.DRAFT, Proposal.Status.WITHDRAWN)

# --- the actor ------------------------------------------------------------------------------


def is_staff(actor) -> bool:
    return membership_rules.is_staff(actor)


def is_key(actor) -> bool:
    return isinstance(actor, PartnerApiKey)


def member_of_actor(actor) -> Member | None:
    """The acting person's member row (any status); None for keys, system jobs and nobody."""
    if actor is None or is_system(actor) or is_key(actor):
        return None
    return member_of(actor)


def _manages(actor) -> bool:
    """Staff, a `governance:write` key, or a system job."""
    return is_system(actor) or is_staff(actor) or key_allows(actor, WRITE)


# --- members --------------------------------------------------------------------------------


def member_may_read(member: Member | None) -> bool:
    return membership_rules.is_current(member)


def may_comment(member: Member | None) -> bool:
    return membership_rules.is_current(member)


def may_vote(member: Member | None) -> bool:
    """Only active members vote (the electorate is checked by the ballot service)."""
    return membership_rules.is_active(member)


# --- reading --------------------------------------------------------------------------------


def may_read(actor) -> bool:
    # Staff and keys first: they need no member row (and no query for one).
    return (
        is_system(actor)
        or is_staff(actor)
        or key_allows(actor, READ)
        or member_may_read(member_of_actor(actor))
    )


def sees_all_drafts(actor) -> bool:
    return is_system(actor) or is_staff(actor) or is_key(actor)


def is_author(actor, proposal: Proposal) -> bool:
    """The proposal's author acting, while still a current member (an author who has left
    keeps no power over the proposal)."""
    if proposal.author_id is None:
        return False
    member = member_of_actor(actor)
    return membership_rules.is_current(member) and member.pk == proposal.author_id


def can_see_proposal(actor, proposal: Proposal) -> bool:
    """Whether the proposal exists for this actor (reading rights are checked apart, 403)."""
    return (
        proposal.status != Proposal.Status.DRAFT
        or sees_all_drafts(actor)
        or is_author(actor, proposal)
    )


def visible_proposals(actor, proposals: QuerySet | None = None) -> QuerySet:
    """`proposals` (default: all) without the drafts this actor may not see."""
    proposals = Proposal.objects.all() if proposals is None else proposals
    if sees_all_drafts(actor):
        return proposals
    visible = ~Q(status=Proposal.Status.DRAFT)
    member = member_of_actor(actor)
    if membership_rules.is_current(member):
        visible |= Q(author_id=member.pk)
    return proposals.filter(visible)


# --- acting on a proposal -------------------------------------------------------------------


def may_propose(actor) -> bool:
    if is_system(actor) or key_allows(actor, WRITE):
        return True
    return membership_rules.is_active(member_of_actor(actor))


def may_edit(actor, proposal: Proposal) -> bool:
    """Who may change the text and the deadline (whatever the status; `is_editable` says
    when)."""
    return is_staff(actor) or is_author(actor, proposal)


def may_submit(actor, proposal: Proposal) -> bool:
    return may_edit(actor, proposal)


def may_withdraw(actor, proposal: Proposal) -> bool:
    return may_edit(actor, proposal)


def may_open(actor, proposal: Proposal) -> bool:
    return _manages(actor) or is_author(actor, proposal)


def may_open_early(actor) -> bool:
    """Open voting before the discussion period has run, with a stated reason (RULES §2): staff
    or a `governance:write` key; not the author, not a system job (the scheduled job opens only
    what is due)."""
    return is_staff(actor) or key_allows(actor, WRITE)


def discussion_has_run(proposal: Proposal, now: datetime) -> bool:
    ends = proposal.discussion_ends_at
    return ends is not None and now >= ends


def may_close(actor, proposal: Proposal) -> bool:
    return _manages(actor)


def may_cancel(actor, proposal: Proposal) -> bool:
    return _manages(actor)


def may_manage_categories(actor) -> bool:
    """Categories set the floors every proposal copies: staff (in the admin) or a system job."""
    return is_system(actor) or is_staff(actor)


def may_follow_up(actor, proposal: Proposal) -> bool:
    """The outcome statement and the implementation updates of a closed proposal."""
    return _manages(actor)


def is_editable(proposal: Proposal) -> bool:
    return proposal.status in EDITABLE_STATUSES


def is_open_for_discussion(proposal: Proposal) -> bool:
    return proposal.status not in NO_DISCUSSION_STATUSES


# --- proposal rules and words -------------------------------------------------------------

DEFAULT_SEATS = 1  # API.md: `seats?` is optional; approval and ranked votes fill one seat


def seats_or_default(method: str, seats: int | None) -> int | None:
    """The seats of a proposal as given, or the default for a method that has seats."""
    if seats is None and method in (Method.APPROVAL, Method.RANKED):
        return DEFAULT_SEATS
    return seats


# Where a passed proposal's implementation may go ("planned" is where every one starts).
IMPLEMENTATION_STEPS = [
    (Proposal.Implementation.IN_PROGRESS.value, Proposal.Implementation.IN_PROGRESS.label),
    (Proposal.Implementation.DONE.value, Proposal.Implementation.DONE.label),
    (Proposal.Implementation.NOT_NEEDED.value, Proposal.Implementation.NOT_NEEDED.label),
]
IMPLEMENTATION_DATE_ERROR = "Give the day it happened, not a future one."


def implementation_date_ok(on: date, today: date) -> bool:
    """An implementation step is dated the day it happened: never in the future."""
    return on <= today


# The words for the choices of yes/no and consent votes, on every page and export.
CHOICE_LABELS = {
    "yes": "Yes",
    "no": "No",
    "abstain": "Abstain",
    "agree": "Agree",
    "disagree": "Disagree",
    "block": "Block",
}
# On a consent ballot, abstaining is explained where the choice is made.
_BALLOT_WORDING = {(Method.CONSENT, "abstain"): "Abstain (stand aside)"}


def choice_label(choice) -> str:
    return CHOICE_LABELS.get(str(choice), str(choice))


def ballot_choices(method: str) -> list[tuple[str, str]]:
    """The (value, label) pairs of a yes/no or consent ballot, in display order."""
    return [(c, _BALLOT_WORDING.get((method, c), CHOICE_LABELS[c])) for c in CHOICES[method]]


# --- secret ballots -----------------------------------------------------------------------

SMALL_CLASS = 5  # RULES §2: a secret vote's per-class totals are hidden below this many voters


def shows_choices(proposal: Proposal) -> bool:
    """Nobody sees a choice (nor a result) before the vote closes: pages, API, admin, CSV."""
    return proposal.status == Proposal.Status.CLOSED


def hidden_classes(*, secret: bool, cast_by_class: Mapping[str, int]) -> set[str]:
    """The classes of a secret vote whose figures (totals, share; a ballot's class) must not be
    shown: the result page, the API's result, the CSV export and the admin all ask this, with
    every class's number of ballots (RULES §5, "Privacy by subtraction").

    - a class with fewer than SMALL_CLASS voters is hidden;
    - where a class with voters is hidden, at least one more class with voters is hidden too,
      the next smallest (ties by slug), so that its figures cannot be worked out as the total
      minus the classes shown. Two hidden classes with voters are enough: only their sum can be
      derived, as RULES §5 asks. A class of nobody hides nothing (its figures are all 0 and its
      `cast` is shown) so it never counts as the extra one.
    Where a single class has voters at all, its figures are the vote's total, which is always
    shown: nothing more can be hidden (docs/architecture.md, "secret where asked").
    An open (not secret) vote hides nothing."""
    if not secret:
        return set()
    hidden = {slug for slug, cast in cast_by_class.items() if cast < SMALL_CLASS}
    with_voters = [slug for slug in hidden if cast_by_class[slug] > 0]
    if len(with_voters) == 1:
        shown = sorted(
            (cast, slug) for slug, cast in cast_by_class.items() if slug not in hidden
        )
        if shown:
            hidden.add(shown[0][1])
    return hidden
