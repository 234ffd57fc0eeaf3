"""Each alert of RULES §5 firing and not firing (the pure rule, vitality/alerts.py), with the
figures in plain words; property: a null figure never fires."""

import ast
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from vitality.alerts import CODES, Facts, Thresholds, evaluate

LIMITS = Thresholds()
QUIET = {"growth_3m": "0.0200", "satisfaction_mean": "4.10", "core_share": "0.3000",
         "quorum_met_rate_3m": "0.9000", "reminder_rate_3m": "0.1000",
         "circulation_ratio_12m": "0.8000", "implementation_lagging": 0,
         "governance_spend_share_12m": "0.0700", "satisfaction_response_rate": "0.4500"}
HISTORY = Facts(previous_satisfaction=[Decimal("4.0"), Decimal("4.2"), Decimal("4.1")])


def codes(metrics, facts=HISTORY, limits=LIMITS):
    return [a.code for a in evaluate(QUIET | metrics, facts, limits)]


def test_a_healthy_month_fires_nothing():
    assert codes({}) == []


def test_extractive_pressure():
    fired = evaluate(QUIET | {"growth_3m": "0.1200", "satisfaction_mean": "3.70"}, HISTORY,
                     LIMITS)
    assert [a.code for a in fired] == ["extractive_pressure"]
    assert fired[0].message == ("Membership grew 12 % in three months while satisfaction "
                                "fell to 3.70, from an average of 4.10 over the 3 months "
                                "before.")
    # Exactly at the thresholds: 10 % growth, a fall of exactly 0.3 fires.
    assert codes({"growth_3m": "0.1000", "satisfaction_mean": "3.80"}) == ["extractive_pressure"]
    # Growth below 10 %, or satisfaction fell less than 0.3: no alert.
    assert codes({"growth_3m": "0.0999", "satisfaction_mean": "3.00"}) == []
    assert codes({"growth_3m": "0.5000", "satisfaction_mean": "3.81"}) == []


def test_extractive_pressure_needs_two_earlier_months():
    one = Facts(previous_satisfaction=[Decimal("4.5")])
    assert codes({"growth_3m": "0.5000", "satisfaction_mean": "3.50"}, one) == []
    two = Facts(previous_satisfaction=[Decimal("4.5"), Decimal("4.3")])
    assert codes({"growth_3m": "0.5000", "satisfaction_mean": "3.50"}, two) == [
        "extractive_pressure"]


def test_participation_core():
    assert codes({"core_share": "0.5000"}) == ["participation_core"]
    assert codes({"core_share": "0.4999"}) == []


def test_quorum_decay():
    assert codes({"quorum_met_rate_3m": "0.7400"}) == ["quorum_decay"]
    assert codes({"reminder_rate_3m": "0.5000"}) == ["quorum_decay"]
    assert codes({"quorum_met_rate_3m": "0.7500", "reminder_rate_3m": "0.4999"}) == []
    both = evaluate(QUIET | {"quorum_met_rate_3m": "0.5000", "reminder_rate_3m": "0.6000"},
                    HISTORY, LIMITS)
    assert both[0].message == ("Only 50 % of the votes closed in the last three months met "
                               "their quorum and 60 % of them needed reminders.")


def test_surplus_accumulating():
    assert codes({"circulation_ratio_12m": "0.4900"}) == ["surplus_accumulating"]
    assert codes({"circulation_ratio_12m": "0.5000"}) == []
    unposted = Facts(previous_satisfaction=HISTORY.previous_satisfaction, unposted_periods=1)
    assert codes({}, unposted) == ["surplus_accumulating"]


def test_implementation_lag():
    assert codes({"implementation_lagging": 2}) == ["implementation_lag"]
    assert codes({"implementation_lagging": 0}) == []


def test_governance_underfunded():
    assert codes({"governance_spend_share_12m": "0.0499"}) == ["governance_underfunded"]
    assert codes({"governance_spend_share_12m": "0.0500"}) == []


def test_satisfaction_low():
    assert codes({"satisfaction_mean": "2.99"}) == ["satisfaction_low"]
    assert codes({"satisfaction_response_rate": "0.1999"}) == ["satisfaction_low"]
    assert codes({"satisfaction_mean": "3.00", "satisfaction_response_rate": "0.2000"}) == []
    # While the month lasts the survey's figures are not published: nothing fires from them.
    during = Facts(previous_satisfaction=(), survey_published=False)
    assert codes({"satisfaction_mean": None, "satisfaction_response_rate": "0.0100"},
                 during) == []


def test_thresholds_are_configurable():
    strict = Thresholds(core_share_max=Decimal("0.25"), governance_spend_min=Decimal("0.08"))
    assert codes({}, limits=strict) == ["participation_core", "governance_underfunded"]


FIRING = {"growth_3m": "0.9", "satisfaction_mean": "1.00", "core_share": "0.9",
          "quorum_met_rate_3m": "0.1", "reminder_rate_3m": "0.9", "circulation_ratio_12m": "0.1",
          "implementation_lagging": 3, "governance_spend_share_12m": "0.01",
          "satisfaction_response_rate": "0.01"}


def test_every_alert_fires_in_order():
    assert codes(FIRING) == list(CODES)


@given(st.sets(st.sampled_from(sorted(FIRING))))
def test_a_null_figure_never_fires(nulls):
    """Whatever figures are null, the alerts that fire are exactly those whose figures are
    all (or, for either-or alerts, partly) present."""
    fired = set(codes(FIRING | dict.fromkeys(nulls)))
    needs = {"extractive_pressure": [{"growth_3m", "satisfaction_mean"}],
             "participation_core": [{"core_share"}],
             "quorum_decay": [{"quorum_met_rate_3m"}, {"reminder_rate_3m"}],
             "surplus_accumulating": [{"circulation_ratio_12m"}],
             "implementation_lag": [{"implementation_lagging"}],
             "governance_underfunded": [{"governance_spend_share_12m"}],
             "satisfaction_low": [{"satisfaction_mean"}, {"satisfaction_response_rate"}]}
    expected = {code for code, options in needs.items()
                if any(not (option & nulls) for option in options)}
    assert fired == expected


def test_the_rule_is_pure():
    tree = ast.parse(Path("vitality/alerts.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"django", "rest_framework", "celery"}
