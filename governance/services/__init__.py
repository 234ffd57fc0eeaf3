"""Every write of the governance pillar (RULES.md §2). Browser, API and deadline job call these.

Casting and closing are serialised per proposal: a ballot takes a shared lock on the proposal
(ballots don't wait for each other), closing takes an exclusive one (it waits for ballots in
flight to commit, and ballots that come after it see the vote closed). So a ballot is counted
if and only if it committed while the vote was open. On PostgreSQL these are transaction-level
advisory locks, not row locks: a row's FOR SHARE lock lets new sharers in past a waiting FOR
UPDATE, so a steady stream of ballots could postpone the close indefinitely, whereas the lock
manager queues new shared requests behind a waiting exclusive one. On SQLite every writing
transaction is IMMEDIATE, which serialises them all and gives the same guarantee.

The writes live in sub-modules by sub-domain (proposals, ballots, results, discussion,
notifications, categories, enacting; shared helpers in _common); this package re-exports every
name, so `from governance import services; services.proposal_open(...)` keeps working.
"""

from ._common import (  # noqa: F401
    SMALL_CLASS,
    _audit,
    _now,
    _require,
    logger,
)
from .ballots import (  # noqa: F401
    CastResult,
    ballot_cast,
    receipt_for,
)
from .categories import (  # noqa: F401
    _CATEGORIES,
    CATEGORY_FIELDS,
    _check_category_fields,
    category_create,
    category_update,
)
from .discussion import (  # noqa: F401
    comment_post,
)
from .enacting import (  # noqa: F401
    _enactment_check_at_open,
    _enactment_fields,
    _enactment_replace,
    _enactment_settle,
    _report_enactment_failure,
)
from .notifications import (  # noqa: F401
    _notify_electors,
    _remind,
    notifications_mark_read,
    proposal_notices_create,
    quorum_progress,
    reminder_lead,
    reminders_send_due,
)
from .proposals import (  # noqa: F401
    _AUTHOR_OR_STAFF,
    UNCHANGED,
    _check_author_or_staff,
    _check_proposal_schedule,
    _check_schedule,
    _floors,
    _validated_rules,
    open_due_votes,
    proposal_cancel,
    proposal_create,
    proposal_open,
    proposal_submit,
    proposal_update,
    proposal_withdraw,
)
from .results import (  # noqa: F401
    _NEXT_IMPLEMENTATION,
    _result_dict,
    _rewrite_secret_box,
    _tally_inputs,
    close_due_votes,
    implementation_update,
    outcome_statement_set,
    proposal_close,
)
