"""The chart of accounts (RULES.md §3): codes other apps post to, and the seed of the migration.

Member capital is not one account per member: lines of `SHARE_CAPITAL` and `MEMBER_CAPITAL` are
tagged with the member (`JournalLine.member`), so the open books list each account once and
never a member's capital."""

BANK = "1000"
DIVIDENDS_PAYABLE = "2100"
REDEMPTIONS_PAYABLE = "2200"
SHARE_CAPITAL = "3000"
MEMBER_CAPITAL = "3100"
RESERVE = "3200"
COMMONS = "3300"
UNALLOCATED_SURPLUS = "3900"
REVENUE = "4000"
OPERATING_EXPENSES = "5000"
GOVERNANCE_EXPENSES = "5100"

ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = "asset", "liability", "equity", "income", "expense"

# (code, name, type): what the migration seeds. A later account is added by a migration too.
CHART = [
    (BANK, "Bank", ASSET),
    (DIVIDENDS_PAYABLE, "Dividends payable", LIABILITY),
    (REDEMPTIONS_PAYABLE, "Redemptions payable", LIABILITY),
    (SHARE_CAPITAL, "Member share capital", EQUITY),
    (MEMBER_CAPITAL, "Member capital accounts (retained patronage)", EQUITY),
    (RESERVE, "Indivisible reserve", EQUITY),
    (COMMONS, "Commons fund", EQUITY),
    (UNALLOCATED_SURPLUS, "Unallocated surplus", EQUITY),
    (REVENUE, "Revenue", INCOME),
    (OPERATING_EXPENSES, "Operating expenses", EXPENSE),
    (GOVERNANCE_EXPENSES, "Governance expenses", EXPENSE),
]

# Accounts whose balance is debits − credits; the others show credits − debits.
DEBIT_NORMAL = {ASSET, EXPENSE}
# What closing a period moves to Unallocated surplus.
RESULT_TYPES = (INCOME, EXPENSE)
