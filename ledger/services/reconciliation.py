"""The register-against-books check, recorded (RULES.md §3)."""

from dataclasses import asdict

from django.db import transaction

from coop.audit import audit_record
from coop.errors import NotAllowed
from coop.notices import notify_staff

from ..models import ReconciliationCheck
from ..rules import may_keep_books
from ..selectors import reconciliation


@transaction.atomic
def reconciliation_check(*, actor) -> ReconciliationCheck:
    """Compare the register with the books and record the result; a difference tells staff
    (one notice per check, linking to it). Nothing else changes: a correction is an entry."""
    if not may_keep_books(actor):
        raise NotAllowed("Only staff, a ledger:write key or a system job run the check.")
    result = reconciliation()
    check = ReconciliationCheck.objects.create(
        ok=result.ok, differences=[asdict(d) for d in result.differences])
    audit_record(action="ledger.reconciled", object_type="reconciliation_check",
                 object_id=check.pk, actor=actor,
                 facts={"ok": result.ok, "differences": len(result.differences)})
    if not result.ok:
        notify_staff(kind="ledger.reconciliation_difference", target=check)
    return check
