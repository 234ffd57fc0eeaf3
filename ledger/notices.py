"""The ledger's notice kinds (registered in LedgerConfig.ready)."""

from django.urls import reverse

from coop.notices import NoticeKind, register

from .models import ReconciliationCheck


def _url(check: ReconciliationCheck) -> str:
    return reverse("admin:ledger_reconciliationcheck_change", args=[check.pk])


KINDS = [
    # RULES §3: the register and the books disagree for some member; staff look into it.
    NoticeKind(
        name="ledger.reconciliation_difference",
        label="The share register and the books disagree",
        title=lambda c: f"The share register and the books disagree for "
                        f"{len(c.differences)} member(s)",
        url=lambda c: _url(c),
        context=lambda c: {"check": c, "url": _url(c)},
        target_model=ReconciliationCheck,
        audience="staff",
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
