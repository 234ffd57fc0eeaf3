"""Vitality's writes: the pulse survey's answers, and the monthly snapshots (computed,
finalised, recomputed on demand) with the alerts they notify. Every write is atomic and
audited; notices go out through coop.notices (emails after the commit)."""

from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from coop import notices
from coop.actors import SystemActor
from coop.audit import audit_record, changes_apply
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import NoticePreference, PartnerApiKey
from membership.models import Member

from . import figures, rules
from .locks import lock_month, lock_pulse
from .models import Alert, AlertThresholds, PulseAnswer, Snapshot, SnapshotRecompute, SurveySettings
from .months import add_months, between, bounds, current_month, label

MAX_COMMENT = 1000
SNAPSHOT_JOB = SystemActor(name="vitality.snapshots")


# --- the pulse survey -----------------------------------------------------------------------


def _clean_answer(score, comment, settings: SurveySettings) -> tuple[int, str]:
    errors = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = ["Choose a whole number from 1 to 5."]
    if not isinstance(comment or "", str):
        raise InvalidInput("A comment is text.", errors={"comment": ["A comment is text."]})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [f"At most {MAX_COMMENT} characters."]
    elif comment and not settings.comments_allowed:
        errors["comment"] = ["The survey takes no comments this month."]
    elif "\x00" in comment:
        errors["comment"] = ["A comment cannot contain a NUL character."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return score, comment


@transaction.atomic
def pulse_answer(*, actor, member: Member, score, comment: str = "",
                 now: datetime | None = None) -> tuple[PulseAnswer, bool]:
    """The member's answer for the current month: created (True) or, a second time in the same
    month, replaced (False). Only the member themself answers (a key or staff cannot). The
    audit record says that the member answered, never what."""
    now = now or timezone.now()
    if (isinstance(actor, PartnerApiKey) or getattr(actor, "pk", None) is None
            or member.user_id != actor.pk):
        raise NotAllowed("Only the member themself can answer the pulse survey.")
    if not rules.may_answer(member):
        raise NotAllowed("Only active members answer the pulse survey.")
    settings = SurveySettings.current()
    if not settings.enabled:
        raise Conflict("The pulse survey is not open.")
    score, comment = _clean_answer(score, comment, settings)
    month = current_month(now)
    lock_pulse(member.pk)
    answer, created = PulseAnswer.objects.update_or_create(
        member=member, month=month,
        defaults={"score": score, "comment": comment, "answered_at": now,
                  "class_slug": member.stakeholder_class.slug},
    )
    audit_record(action="pulse.answered" if created else "pulse.changed",
                 object_type="member", object_id=member.member_number, actor=actor,
                 facts={"month": label(month)})
    return answer, created


# --- snapshots ------------------------------------------------------------------------------


def _figures(month: date, now: datetime) -> tuple[figures.Figures, list[dict]]:
    from .alerts import evaluate

    limits = AlertThresholds.current().as_thresholds()
    result = figures.compute(month, now=now, limits=limits)
    fired = [a.as_dict() for a in evaluate(result.metrics, result.facts, limits)]
    return result, fired


def _write(snapshot: Snapshot, result: figures.Figures, fired: list[dict], *, final: bool,
           now: datetime) -> Snapshot:
    snapshot.metrics = result.metrics
    snapshot.by_class = result.by_class
    snapshot.alerts = fired
    snapshot.survey = {"distribution": result.distribution} if result.distribution else {}
    snapshot.provisional = not final
    snapshot.computed_at = now
    snapshot.save()
    return snapshot


def _finished(month: date, now: datetime) -> bool:
    return bounds(month)[1] <= now


@transaction.atomic
def snapshot_refresh(*, month: date, now: datetime | None = None) -> Snapshot:
    """Compute a month's snapshot unless it is final already: the current month's is
    provisional (recomputed freely), a finished month's is final (RULES §5). Idempotent: a
    final snapshot is returned unchanged; the alerts of a newly final one are notified."""
    now = now or timezone.now()
    if month > current_month(now):
        raise InvalidInput("That month has not begun.", errors={"month": ["Not begun yet."]})
    lock_month(month)
    snapshot = Snapshot.objects.filter(month=month).first()
    if snapshot is not None and not snapshot.provisional:
        return snapshot
    final = _finished(month, now)
    result, fired = _figures(month, now)
    snapshot = _write(snapshot or Snapshot(month=month), result, fired, final=final, now=now)
    if final:
        audit_record(action="vitality.snapshot_final", object_type="snapshot",
                     object_id=label(month), actor=SNAPSHOT_JOB, facts={"alerts": len(fired)})
        _notify_alerts(snapshot, now)
    return snapshot


def _changes(snapshot: Snapshot, result: figures.Figures, fired: list[dict]) -> dict:
    changed = {}
    for name, new in result.metrics.items():
        if snapshot.metrics.get(name) != new:
            changed[name] = {"old": snapshot.metrics.get(name), "new": new}
    for slug in sorted(set(snapshot.by_class) | set(result.by_class)):
        old_row, new_row = snapshot.by_class.get(slug, {}), result.by_class.get(slug, {})
        for name in sorted(set(old_row) | set(new_row)):
            if old_row.get(name) != new_row.get(name):
                changed[f"{slug}.{name}"] = {"old": old_row.get(name), "new": new_row.get(name)}
    old_codes = sorted(a["code"] for a in snapshot.alerts)
    new_codes = sorted(a["code"] for a in fired)
    if old_codes != new_codes:
        changed["alerts"] = {"old": old_codes, "new": new_codes}
    return changed


def _actor_label(actor) -> str:
    if isinstance(actor, PartnerApiKey):
        return f"key {actor.prefix}"
    if getattr(actor, "pk", None) is None:
        return str(actor)
    return getattr(actor, "full_name", "") or getattr(actor, "email", "") or f"user {actor.pk}"


@transaction.atomic
def snapshot_recompute(*, actor, month: date, now: datetime | None = None) -> Snapshot:
    """Staff's on-demand recompute of any month up to the current one. The current month's
    snapshot stays provisional; a finished month's is recomputed from today's data and the
    recompute is recorded with who ran it and which figures changed (RULES §5)."""
    now = now or timezone.now()
    if not rules.may_recompute(actor):
        raise NotAllowed("Only staff or a key with vitality:write can recompute a snapshot.")
    if month > current_month(now):
        raise InvalidInput("Snapshots exist only for months up to the current one.",
                           errors={"month": ["Must not be after the current month."]})
    lock_month(month)
    snapshot = Snapshot.objects.filter(month=month).first()
    if snapshot is None or snapshot.provisional:
        snapshot = snapshot_refresh(month=month, now=now)
        audit_record(action="vitality.snapshot_computed", object_type="snapshot",
                     object_id=label(month), actor=actor,
                     facts={"provisional": snapshot.provisional})
        return snapshot
    result, fired = _figures(month, now)
    changed = _changes(snapshot, result, fired)
    _write(snapshot, result, fired, final=True, now=now)
    SnapshotRecompute.objects.create(snapshot=snapshot, at=now, by=_actor_label(actor)[:120],
                                     changed=changed)
    audit_record(action="vitality.snapshot_recomputed", object_type="snapshot",
                 object_id=label(month), actor=actor, facts={"changed": sorted(changed)})
    _notify_alerts(snapshot, now)
    return snapshot


def first_month() -> date | None:
    """The month of the first admission: there is nothing to measure before it."""
    first = Member.objects.order_by("joined_on").values_list("joined_on", flat=True).first()
    return first.replace(day=1) if first else None


def snapshots_catch_up(*, now: datetime | None = None) -> list[date]:
    """The monthly job (RULES §5): finalise every finished month without a final snapshot
    (the month just ended, and any the job missed), oldest first, then refresh the current
    month's provisional one. Safe to run twice: a final month is never computed again.
    Returns the months it finalised."""
    now = now or timezone.now()
    start, this_month = first_month(), current_month(now)
    if start is None:
        return []
    final = set(Snapshot.objects.filter(provisional=False).values_list("month", flat=True))
    done = []
    for month in between(start, add_months(this_month, -1)):
        if month not in final:
            snapshot = snapshot_refresh(month=month, now=now)
            done.append(snapshot.month)
    snapshot_refresh(month=this_month, now=now)
    return done


# --- alerts and the digest ------------------------------------------------------------------


def _opted_in(kind: str) -> list[int]:
    """Active members who turned this (off by default) kind on in their notice settings."""
    ids = NoticePreference.objects.filter(
        recipient_type=ContentType.objects.get_for_model(Member), kind=kind, email=True,
    ).values("recipient_id")
    return list(Member.objects.filter(pk__in=ids, status=Member.Status.ACTIVE)
                .order_by("pk").values_list("pk", flat=True))


def _notify_alerts(snapshot: Snapshot, now: datetime) -> None:
    """A notice for each alert of a final snapshot that was not notified for its month yet:
    the unique (month, code) row makes it once per month and code, whatever recomputes."""
    if snapshot.provisional or not snapshot.alerts:
        return
    rows = [Alert(month=snapshot.month, code=a["code"], severity=a["severity"],
                  message=a["message"], created_at=now) for a in snapshot.alerts]
    known = set(Alert.objects.filter(month=snapshot.month).values_list("code", flat=True))
    new = [row for row in rows if row.code not in known]
    if not new:
        return
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    members = _opted_in("vitality.member_alert")
    for alert in Alert.objects.filter(month=snapshot.month, code__in=[r.code for r in new]):
        notices.notify_staff(kind="vitality.alert", target=alert)
        if members:
            notices.notices_create(kind="vitality.member_alert", recipient_model=Member,
                                   recipient_ids=members, target=alert, now=now)


@transaction.atomic
def digest_send(*, month: date) -> int:
    """The monthly digest of a final snapshot, to the members who opted in (once each: the
    notices' unique constraint). Returns how many members it went to."""
    snapshot = Snapshot.objects.filter(month=month, provisional=False).first()
    if snapshot is None:
        return 0
    members = _opted_in("vitality.digest")
    if members:
        notices.notices_create(kind="vitality.digest", recipient_model=Member,
                               recipient_ids=members, target=snapshot)
    return len(members)


# --- settings -------------------------------------------------------------------------------


@transaction.atomic
def settings_update(*, actor, model: type[AlertThresholds] | type[SurveySettings],
                    changes: dict) -> AlertThresholds | SurveySettings:
    """Staff change the alert thresholds or the survey settings (one row each); audited with
    the old and the new value of each changed field. New thresholds apply to snapshots
    computed afterwards (a final month changes only through a recompute)."""
    if not rules.is_staff(actor):
        raise NotAllowed("Only staff change the vitality settings.")
    unknown = set(changes) - {f.name for f in model._meta.concrete_fields if f.name != "id"}
    if unknown:
        raise InvalidInput(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    row, _ = model.objects.select_for_update().get_or_create(pk=1)
    facts = changes_apply(row, changes)
    if facts:
        audit_record(action=f"vitality.{model._meta.model_name}_updated",
                     object_type=model._meta.model_name, object_id=1, actor=actor,
                     facts={name: {k: str(v) for k, v in change.items()}
                            for name, change in facts.items()})
    return row
