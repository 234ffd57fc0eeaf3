"""Every write of surplus distribution (docs/architecture.md, "Packages by sub-domain")."""

from .contributions import Recorded, contribution_record, quantity_clean
from .payouts import (
    iban_clean,
    payout_account_remove,
    payout_account_set,
    payout_accounts_erase,
    payout_batch_create,
    payout_batch_pay,
    payout_csv,
    payout_lines,
    payout_sepa,
    redemption_payables_create,
)
from .policies import earliest_effective_from, policy_check, policy_create, policy_enact, policy_of
from .runs import (
    dividend_run_approve,
    dividend_run_cancel,
    dividend_run_compute,
    dividend_run_rerun,
    dividend_run_start,
    run_inputs,
    statements_ready_notify,
    uncovered_losses_before,
)
from .settings import settings_update

__all__ = [
    "Recorded", "contribution_record", "dividend_run_approve", "dividend_run_cancel",
    "dividend_run_compute", "dividend_run_rerun", "dividend_run_start", "earliest_effective_from",
    "policy_check", "policy_create", "policy_enact", "policy_of", "quantity_clean", "run_inputs",
    "settings_update", "statements_ready_notify", "uncovered_losses_before", "iban_clean",
    "payout_account_remove", "payout_account_set", "payout_accounts_erase",
    "payout_batch_create", "payout_batch_pay", "payout_csv", "payout_lines", "payout_sepa",
    "redemption_payables_create",
]
