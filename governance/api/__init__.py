"""The governance REST API (API.md, "Governance").

Serializers check the shape of the input; `governance.services` decides and writes (the same
functions the browser and the deadline job call); `governance.selectors` reads. Service errors
become problem+json in the handler (InvalidInput 400, NotAllowed 403, Conflict 409).

Who may do what (decided by `governance.rules`, which the services check again):
- Read (categories, proposals, results, receipts): staff, a `governance:read` key, or a
  signed-in member (active or awaiting payment). A draft is seen only by its author (while a
  current member), staff and keys; to anybody else it is 404, like an unknown id.
- Propose: a signed-in active member (as the author) or a `governance:write` key.
- Submit, withdraw, edit: the author (while a current member) or staff.
- Open: the author, staff or a `governance:write` key. Close and cancel: staff or a
  `governance:write` key.
- Vote: a signed-in person whose member is in the electorate frozen when the vote opened.
  A key never votes (403), whatever its scopes.

Nobody sees a choice before the close: the proposal shows the live turnout (who took part, from
`Elector.voted_at`), and `result/` answers 409 until the vote is closed. A ballot answers only
with its receipt; the published receipts list pairs receipts with choices, never with voters.

The endpoints live in sub-modules by sub-domain (categories, proposals, ballots, results,
discussion; shared permissions, lookups and fields in _common); this package re-exports every
name, so api_urls.py's `api.ProposalDetailView` keeps working."""

from ._common import (  # noqa: F401
    ALL_CHOICES,
    ID,
    MAX_ID,
    MAX_PICKS,
    PAGE,
    READ,
    WRITE,
    AwareDateTimeField,
    CanManage,
    CanRead,
    IsMemberPerson,
    IsReadingMember,
    StatusSerializer,
    _caller_member,
    _member_of,
    _ProposalActionView,
    _sees_all_drafts,
    _target,
    _visible_proposal,
)
from .ballots import (  # noqa: F401
    BallotSerializer,
    BallotView,
    ReceiptSerializer,
)
from .categories import (  # noqa: F401
    CategoryListView,
    CategorySerializer,
)
from .discussion import (  # noqa: F401
    CommentCreateSerializer,
    CommentListView,
    CommentSerializer,
)
from .proposals import (  # noqa: F401
    ENACTS_HELP,
    CancelReasonSerializer,
    EnactmentSerializer,
    ImplementationUpdateSerializer,
    OpenedSerializer,
    OptionSerializer,
    ProposalCancelView,
    ProposalCloseView,
    ProposalCreatedSerializer,
    ProposalCreateSerializer,
    ProposalDetailSerializer,
    ProposalDetailView,
    ProposalListView,
    ProposalOpenView,
    ProposalSerializer,
    ProposalSubmitView,
    ProposalUpdateSerializer,
    ProposalWithdrawView,
)
from .results import (  # noqa: F401
    IMPLEMENTATION_STEPS,
    ClassResultSerializer,
    ImplementationCreatedSerializer,
    ImplementationCreateSerializer,
    ImplementationView,
    OutcomeStatementSerializer,
    OutcomeStatementView,
    ProposalResultView,
    PublishedBallotSerializer,
    PublishedReceiptsView,
    ResultSerializer,
)
