"""The decay alerts of RULES §5, as pure arithmetic (no Django): given a month's figures and
the few facts about earlier months they need, which alerts fire and why, in plain words.

Figures arrive as the snapshot stores them (ints, decimal strings, None). A null figure never
fires an alert (RULES §5)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CODES = (
    "extractive_pressure",
    "participation_core",
    "quorum_decay",
    "surplus_accumulating",
    "implementation_lag",
    "governance_underfunded",
    "satisfaction_low",
)


@dataclass(frozen=True)
class Thresholds:
    """Staff configure these (vitality.models.AlertThresholds); the defaults are RULES §5's."""

    growth_3m_min: Decimal = Decimal("0.10")
    satisfaction_drop: Decimal = Decimal("0.3")
    core_share_max: Decimal = Decimal("0.50")
    quorum_met_min: Decimal = Decimal("0.75")
    reminder_rate_max: Decimal = Decimal("0.50")
    circulation_min: Decimal = Decimal("0.5")
    unposted_months: int = 6
    implementation_lag_days: int = 90
    governance_spend_min: Decimal = Decimal("0.05")
    satisfaction_min: Decimal = Decimal("3.0")
    response_rate_min: Decimal = Decimal("0.20")


@dataclass(frozen=True)
class Facts:
    """What an alert needs beyond the month's own figures."""

    # The monthly satisfaction means of the 3 previous months, over those that have one.
    previous_satisfaction: Sequence[Decimal] = ()
    # Whether the survey's figures of the month are published (the month has ended).
    survey_published: bool = True
    # Periods with a positive surplus that closed more than `unposted_months` ago and have no
    # posted run (None while the books cannot say).
    unposted_periods: int | None = None


@dataclass(frozen=True)
class Alert:
    code: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message}


def number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def percent(value: Decimal) -> str:
    shown = (value * 100).quantize(Decimal("0.1"))
    return f"{shown.normalize():f} %" if shown == shown.to_integral() else f"{shown} %"


def _fmt(value: Decimal, places: str = "0.01") -> str:
    return f"{value.quantize(Decimal(places))}"


def evaluate(metrics: Mapping[str, Any], facts: Facts, limits: Thresholds) -> list[Alert]:
    """The alerts that fire for a month, in the order of CODES."""
    fired: list[Alert] = []
    m = {name: number(value) if not isinstance(value, (dict, list)) else value
         for name, value in metrics.items()}

    growth, satisfaction = m.get("growth_3m"), m.get("satisfaction_mean")
    previous = [Decimal(str(v)) for v in facts.previous_satisfaction]
    if (facts.survey_published and growth is not None and satisfaction is not None
            and len(previous) >= 2):
        baseline = sum(previous) / len(previous)
        if growth >= limits.growth_3m_min and satisfaction <= baseline - limits.satisfaction_drop:
            fired.append(Alert(
                "extractive_pressure", "high",
                f"Membership grew {percent(growth)} in three months while satisfaction fell to "
                f"{_fmt(satisfaction)}, from an average of {_fmt(baseline)} over the "
                f"{len(previous)} months before."))

    core = m.get("core_share")
    if core is not None and core >= limits.core_share_max:
        fired.append(Alert(
            "participation_core", "medium",
            f"The most active 10 % of participants cast {percent(core)} of all ballots over "
            f"the last six months."))

    met, reminded = m.get("quorum_met_rate_3m"), m.get("reminder_rate_3m")
    reasons = []
    if met is not None and met < limits.quorum_met_min:
        reasons.append(f"only {percent(met)} of the votes closed in the last three months "
                       f"met their quorum")
    if reminded is not None and reminded >= limits.reminder_rate_max:
        reasons.append(f"{percent(reminded)} of them needed reminders")
    if reasons:
        fired.append(Alert("quorum_decay", "high", _sentence(" and ".join(reasons))))

    circulation = m.get("circulation_ratio_12m")
    reasons = []
    if circulation is not None and circulation < limits.circulation_min:
        reasons.append(f"only {percent(circulation)} of the positive surplus of the periods "
                       f"closed in the last two years went back to members and the commons")
    if facts.unposted_periods:
        reasons.append(f"{facts.unposted_periods} period(s) with a surplus closed more than "
                       f"{limits.unposted_months} months ago without a dividend run")
    if reasons:
        fired.append(Alert("surplus_accumulating", "medium", _sentence(" and ".join(reasons))))

    lagging = m.get("implementation_lagging")
    if lagging:
        fired.append(Alert(
            "implementation_lag", "medium",
            f"{lagging} passed proposal(s) decided more than {limits.implementation_lag_days} "
            f"days ago are not implemented yet."))

    spend = m.get("governance_spend_share_12m")
    if spend is not None and spend < limits.governance_spend_min:
        fired.append(Alert(
            "governance_underfunded", "medium",
            f"Governance took {percent(spend)} of all expenses over the last twelve months "
            f"(the target is 5–10 %)."))

    rate = m.get("satisfaction_response_rate")
    reasons = []
    if facts.survey_published:
        if satisfaction is not None and satisfaction < limits.satisfaction_min:
            reasons.append(f"satisfaction averaged {_fmt(satisfaction)} out of 5")
        if rate is not None and rate < limits.response_rate_min:
            reasons.append(f"only {percent(rate)} of active members answered the pulse survey")
    if reasons:
        fired.append(Alert("satisfaction_low", "medium", _sentence(" and ".join(reasons))))
    return fired


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."
