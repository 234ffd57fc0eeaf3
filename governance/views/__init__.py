"""The governance pages. Reads go through the small query functions of the private section
below (fixed query counts, pinned in tests/governance/test_views.py); every write goes through
governance.services, whose refusals come back as messages or form errors.

Every htmx form and link here also works without JavaScript: the same URL answers a plain POST
with a redirect (and a message) and an htmx POST with the partial it swaps.

The pages live in sub-modules by sub-domain (proposals, ballots, discussion, results,
notifications; shared helpers in _common); this package re-exports every name, so urls.py's
`views.proposal_detail` keeps working."""

from ._common import (  # noqa: F401
    CHOICE_LABELS,
    PAGE_SIZE,
    Viewer,
    _members_only,
    _percent,
    _proposal_or_404,
    _readable_proposal,
    _render,
    _viewer,
    _wants_partial,
)
from .ballots import (  # noqa: F401
    _vote_refused,
    ballot_cast,
    proposal_turnout,
)
from .detail import (  # noqa: F401
    _ballot_initial,
    _comment_tree,
    _detail_context,
    _my_elector,
    _my_open_ballot,
    _turnout,
)
from .discussion import (  # noqa: F401
    comment_post,
)
from .notifications import (  # noqa: F401
    _members_inbox,
    notification_settings,
    notifications,
    notifications_read,
)
from .proposals import (  # noqa: F401
    ACTION_RULES,
    _edit_changes,
    _edit_form,
    _edit_page,
    _edit_refused,
    _frozen_message,
    _proposal_list,
    _run_action,
    proposal_action,
    proposal_detail,
    proposal_edit,
    proposal_list,
    proposal_new,
)
from .results import (  # noqa: F401
    _bars,
    _cell,
    _closed_proposal,
    _number,
    ballots_csv,
    proposal_result,
)
