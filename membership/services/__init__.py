"""Every write of the membership pillar (RULES.md §1). Views, API and tasks call these.

The writes live in sub-modules by sub-domain (applications, register: payments and the
register, exits, members: classes and member details, imports; shared helpers in _common); this
package re-exports every name, so `from membership import services` keeps working."""

from ._common import (  # noqa: F401
    _REGISTRAR,
    _not_in_the_future,
    _on_commit_email,
    _require,
)
from .applications import (  # noqa: F401
    _check_approval_date,
    _check_shares,
    _lock_pending,
    application_approve,
    application_reject,
    application_submit,
    applications_approve,
)
from .erasure import (  # noqa: F401
    ErasureResult,
    erase_names_due,
    erasure_refusal,
    member_erase,
)
from .exits import (  # noqa: F401
    ExitResult,
    _check_exit_date,
    member_exit,
    redemptions_make_payable,
    redemptions_mark_paid,
)
from .imports import (  # noqa: F401
    member_import,
)
from .members import (  # noqa: F401
    CLASS_FIELDS,
    MEMBER_DETAIL_FIELDS,
    _check_class_fields,
    member_details_update,
    member_directory_visibility_set,
    profile_update,
    stakeholder_class_create,
    stakeholder_class_update,
)
from .register import (  # noqa: F401
    _certificates_to_cancel,
    _check_reversal_date,
    _lock_member,
    _reconcile_holding,
    _shares_paid_for,
    share_payment_record,
    share_payment_reverse,
)
