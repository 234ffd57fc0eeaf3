"""Vitality's notice kinds (registered in VitalityConfig.ready): a new alert from a final
snapshot, to staff, and to members who opt in (off by default: a member turns it on in their
notice settings); the optional monthly digest, opt-in too."""

from django.conf import settings

from coop.notices import NoticeKind, register

from . import present
from .alerts import CODES
from .models import Alert, Snapshot

LABELS = dict(zip(CODES, (
    "Extractive pressure", "Participation in a small core", "Quorum decay",
    "Surplus accumulating", "Implementation lag", "Governance underfunded",
    "Low satisfaction"), strict=True))


def _alert_context(alert: Alert) -> dict:
    return {"alert": alert, "label": LABELS.get(alert.code, alert.code),
            "month": f"{alert.month:%B %Y}", "link": f"{settings.SITE_URL}/vitality/#alerts"}


def _title(alert: Alert) -> str:
    return f"Vitality alert for {alert.month:%B %Y}: {LABELS.get(alert.code, alert.code)}"


KINDS = [
    NoticeKind(
        name="vitality.alert",
        label="A vitality alert fired",
        title=_title,
        url=lambda a: "/vitality/#alerts",
        context=_alert_context,
        target_model=Alert,
        audience="staff",
    ),
    NoticeKind(
        name="vitality.member_alert",
        label="A vitality alert fired (the cooperative's health; opt in)",
        title=_title,
        url=lambda a: "/vitality/#alerts",
        context=_alert_context,
        target_model=Alert,
        email=False,
    ),
    NoticeKind(
        name="vitality.digest",
        label="The monthly vitality digest (opt in)",
        title=lambda s: f"How the cooperative did in {s.month:%B %Y}",
        url=lambda s: "/vitality/",
        context=lambda s: {"snapshot": s, "month": f"{s.month:%B %Y}",
                           "lines": present.digest_lines(s),
                           "link": f"{settings.SITE_URL}/vitality/"},
        target_model=Snapshot,
        email=False,
    ),
]
OPT_IN = ("vitality.member_alert", "vitality.digest")


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
