"""How the figures read to people: units, plain-word labels, and for each alert the
cooperative practice that answers it and a link to act."""

from decimal import Decimal

from coop.models import Cooperative
from coop.money import format_minor

from .figures import FIGURES, MONEY

PERCENT = {"growth_3m", "referral_share", "turnout_mean", "quorum_met_rate", "reminder_rate",
           "quorum_met_rate_3m", "reminder_rate_3m", "core_share", "satisfaction_response_rate",
           "circulation_ratio_12m", "governance_spend_share_12m", "uptime"}
DAYS = {"decision_days_median", "implementation_days_median"}
# Figures where a rise is bad news (the "against the last three" column says so).
LOWER_IS_BETTER = {"members_exited", "reminder_rate", "reminder_rate_3m", "core_share",
                   "decision_days_median", "implementation_days_median",
                   "implementation_lagging", "expenses"}

# RULES §5's alerts: the practice that answers each, and where to act.
PRACTICES = {
    "extractive_pressure": (
        "Pause growth, reduce complexity, return to smaller circles: ask the members what "
        "changed before admitting more.",
        "Send a survey", "/admin/vitality/surveysettings/"),
    "participation_core": (
        "Shift from quarterly votes to rapid feedback loops: monthly surveys, open office "
        "hours, experimental changes members can contest.",
        "Draft a proposal", "/governance/proposals/new/"),
    "quorum_decay": (
        "Shift from quarterly votes to rapid feedback loops: fewer, smaller decisions, open "
        "office hours, and votes members can contest afterwards.",
        "Draft a proposal", "/governance/proposals/new/"),
    "surplus_accumulating": (
        "Put the surplus back into circulation: a dividend run or a commons allocation.",
        "Start a run", "/admin/patronage/"),
    "implementation_lag": (
        "Review what was decided and not done: implement it, or bring it back to the members "
        "as a new proposal.",
        "Draft a proposal", "/governance/proposals/new/"),
    "governance_underfunded": (
        "Budget for governance (5–10 % of expenses): facilitation, translation, meeting time.",
        "Draft a proposal", "/governance/proposals/new/"),
    "satisfaction_low": (
        "Ask why: open office hours and a follow-up survey, then a proposal for what members "
        "name most.",
        "Send a survey", "/admin/vitality/surveysettings/"),
}


def display(name: str, value, currency: str | None = None) -> str:
    """A figure as people read it: "12.5 %", "3.40", "4.5 days", "1,250.00 EUR", "—" for null."""
    if value is None:
        return "—"
    if name in MONEY:
        return format_minor(int(value), currency or Cooperative.current_currency())
    if name in PERCENT:
        shown = (Decimal(str(value)) * 100).quantize(Decimal("0.1"))
        return f"{shown} %"
    if name in DAYS:
        return f"{value} days"
    return str(value)


def digest_lines(snapshot) -> list[str]:
    return [f"{FIGURES[name]}: {display(name, value)}"
            for name, value in snapshot.metrics.items() if value is not None and name in FIGURES]


def alert_view(alert: dict) -> dict:
    practice, action, url = PRACTICES.get(alert["code"], ("", "", ""))
    from .notices import LABELS

    return alert | {"label": LABELS.get(alert["code"], alert["code"]), "practice": practice,
                    "action": action, "action_url": url}


# The figure each alert is about, shown first on the member home when it fires.
ALERT_FIGURE = {
    "extractive_pressure": "satisfaction_mean", "participation_core": "core_share",
    "quorum_decay": "quorum_met_rate_3m", "surplus_accumulating": "circulation_ratio_12m",
    "implementation_lag": "implementation_lagging",
    "governance_underfunded": "governance_spend_share_12m",
    "satisfaction_low": "satisfaction_mean",
}
USUAL = ("satisfaction_mean", "members_active", "turnout_mean", "surplus")


def highlights(snapshot, count: int = 3) -> list[dict]:
    """The two or three figures that matter most this month: those behind an alert first,
    then satisfaction, membership, turnout."""
    from .notices import LABELS

    items, seen = [], set()
    for alert in snapshot.alerts:
        name = ALERT_FIGURE.get(alert["code"])
        if name and name not in seen:
            seen.add(name)
            items.append({"name": name, "label": FIGURES[name],
                          "value": display(name, snapshot.metrics.get(name)),
                          "note": f"alert: {LABELS.get(alert['code'], alert['code'])}"})
    for name in USUAL:
        if name not in seen and snapshot.metrics.get(name) is not None:
            seen.add(name)
            items.append({"name": name, "label": FIGURES[name],
                          "value": display(name, snapshot.metrics[name]), "note": ""})
    return items[:count]


def chart_value(name: str, value) -> float | int | None:
    """A figure as the chart draws it: percentages as 0–100, money as minor units."""
    if value is None:
        return None
    if name in MONEY or isinstance(value, int):
        return int(value)
    number_ = float(Decimal(str(value)))
    return round(number_ * 100, 1) if name in PERCENT else number_


def chart_format(name: str):
    if name in PERCENT:
        return lambda v: f"{v:.1f} %"
    if name in DAYS:
        return lambda v: f"{v:.1f} d"
    return None


def compare(latest, before: list, names) -> list[dict]:
    """"This month against the last three": each figure, the mean of the three snapshots
    before (over those that have it) and whether it went up or down."""
    rows = []
    for name in names:
        value = latest.metrics.get(name)
        earlier = [Decimal(str(s.metrics[name])) for s in before
                   if s.metrics.get(name) is not None]
        mean = sum(earlier) / len(earlier) if earlier else None
        trend = ""
        if value is not None and mean is not None:
            current = Decimal(str(value))
            if current != mean:
                up = current > mean
                good = up != (name in LOWER_IS_BETTER)
                trend = ("up" if up else "down") + (" (better)" if good else " (worse)")
        shown_mean = None
        if mean is not None:
            shown_mean = int(round(mean)) if name in MONEY else (
                mean.quantize(Decimal("0.0001")) if name in PERCENT else
                mean.quantize(Decimal("0.01")))
        rows.append({"name": name, "label": FIGURES[name], "value": display(name, value),
                     "mean": display(name, shown_mean), "trend": trend})
    return rows
