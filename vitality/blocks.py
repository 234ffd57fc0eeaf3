"""Vitality's blocks for the member home (placed by dashboard/views.py): the pulse survey and
the two or three figures that matter most this month."""

from coop.blocks import Block
from membership.models import Member

from . import present, rules, selectors
from .forms import PulseForm
from .months import current_month


def pulse(member: Member, *, form: PulseForm | None = None) -> Block | None:
    """The pulse survey: the question, the member's own answer this month (they may change
    it), the form. Two queries (the settings, the own answer); none for a member who may not
    answer."""
    if not rules.may_answer(member):
        return None
    settings = selectors.survey_settings()
    if not settings.enabled:
        return None
    month = current_month()
    answer = selectors.own_answer(member, month)
    if form is None:
        initial = {"score": answer.score, "comment": answer.comment} if answer else {}
        form = PulseForm(initial=initial)
    return Block("vitality/blocks/pulse.html",
                 {"survey": settings, "pulse_form": form, "own_answer": answer,
                  "pulse_month": month})


def highlights(member: Member) -> Block | None:
    """The figures that matter most this month, from the latest final snapshot (one query)."""
    snapshot = selectors.latest_final()
    if snapshot is None:
        return None
    return Block("vitality/blocks/highlights.html",
                 {"snapshot": snapshot, "highlights": present.highlights(snapshot)})
