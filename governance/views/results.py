"""A closed vote's result page and its ballots as CSV."""

import csv
import random
from collections import Counter
from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import rules, services, tally
from ..models import Ballot, Method, SecretBallot
from ._common import _members_only, _percent, _proposal_or_404, _viewer
from .detail import _my_elector

# --- result and export --------------------------------------------------------------------


def _closed_proposal(request, pk: int):
    viewer = _viewer(request)
    if not viewer.may_read:
        return viewer, None
    proposal = _proposal_or_404(viewer, pk)
    # No result (and no ballot) leaves the application before the close.
    if not rules.shows_choices(proposal) or not proposal.result:
        raise Http404("The result is published when the vote closes.")
    return viewer, proposal


def _number(text) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, TypeError):
        return Decimal(0)


def _bars(rows: list[tuple[str, Decimal]]) -> dict:
    """A horizontal bar chart drawn on the server as SVG geometry (no script, no inline style)."""
    # 390 units wide: drawn at about its own size on a phone, so the 14px text stays legible.
    label_width, bar_width, row_height = 120, 220, 30
    top = max((value for _, value in rows), default=Decimal(0))
    bars = []
    for i, (label, value) in enumerate(rows):
        width = int(value * bar_width / top) if top > 0 else 0
        short = label if len(label) <= 15 else label[:14] + "…"
        bars.append(
            {
                "label": label,
                "short": short,
                "value": value,
                "y": i * row_height,
                "text_y": i * row_height + 20,
                "width": width,
                "value_x": label_width + width + 6,
            }
        )
    return {
        "bars": bars,
        "x": label_width,
        "bar_height": row_height - 8,
        "width": label_width + bar_width + 50,
        "height": max(len(rows), 1) * row_height,
    }


@login_required
@require_GET
def proposal_result(request, pk: int):
    viewer, proposal = _closed_proposal(request, pk)
    if proposal is None:
        return _members_only(request)
    result = proposal.result
    options = {str(option.pk): option.label for option in proposal.options.all()}

    def name(key) -> str:
        return options.get(str(key)) or rules.choice_label(key)

    # PostgreSQL's jsonb does not keep the keys' order: order them by the ballot's own order.
    keys = list(options) if proposal.uses_options else list(tally.CHOICES[proposal.method])

    def ordered(mapping: dict) -> list:
        return [(key, mapping[key]) for key in keys if key in mapping]

    totals = [(name(key), _number(value)) for key, value in ordered(result["totals"])]
    rounds = []
    for stage in result.get("rounds", []):
        rounds.append(
            {
                **stage,
                "option_label": name(stage["option"]) if stage.get("option") else "",
                "cells": [stage["counts"].get(key, "") for key in options],
                "elected_labels": [name(o) for o in stage.get("elected", [])],
                "eliminated_labels": [name(o) for o in stage.get("eliminated", [])],
            }
        )
    if proposal.method == Method.RANKED and rounds:
        chart_rows = [(name(key), _number(value)) for key, value in ordered(rounds[-1]["counts"])]
        chart_title = "Votes in the last round of the count"
    else:
        chart_rows = totals
        chart_title = "Approvals" if proposal.method == Method.APPROVAL else "Votes"
    by_class = []
    # Asked again on every read (not only at the close): results stored before the rule grew
    # privacy by subtraction are hidden by today's rule too.
    hidden_slugs = rules.hidden_classes(
        secret=proposal.secret,
        cast_by_class={s: e.get("cast", 0) for s, e in result["by_class"].items()},
    )
    for slug, entry in sorted(result["by_class"].items()):
        hidden = slug in hidden_slugs
        class_totals = None if hidden else entry.get("totals")
        by_class.append(
            {
                "slug": slug,
                **entry,
                "share": None if hidden else entry.get("share"),
                "totals_list": None
                if class_totals is None
                else [(name(key), value) for key, value in ordered(class_totals)],
            }
        )
    elector = _my_elector(proposal, viewer)
    return render(
        request,
        "governance/proposal_result.html",
        {
            "proposal": proposal,
            "result": result,
            "totals": totals,
            "by_class": by_class,
            "winners": [name(option) for option in result.get("winners", [])],
            "rounds": rounds,
            "round_columns": list(options.values()),
            "chart": _bars(chart_rows),
            "chart_title": chart_title,
            "turnout_percent": _percent(result["ballots_cast"], result["electorate"]),
            "receipt": services.receipt_for(proposal.pk, viewer.member.pk)
            if elector is not None and elector.voted_at
            else None,
            "small_class": rules.SMALL_CLASS,
        },
    )


def _cell(text: str) -> str:
    # A cell a spreadsheet would read as a formula is quoted (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def ballots_csv(request, pk: int):
    """The ballots for a recount, after the close only, anonymous for every vote: the receipt
    (which only its voter can recognise), the class and the choice, never a member."""
    viewer, proposal = _closed_proposal(request, pk)
    if proposal is None:
        return _members_only(request)
    labels = {option.pk: option.label for option in proposal.options.all()}
    box = SecretBallot.objects if proposal.secret else Ballot.objects
    rows = list(
        box.filter(proposal=proposal).values_list(
            "receipt", "class_slug", "choice", "approvals", "ranking"
        )
    )
    # Shuffled, so that the order of the rows says nothing about when or who.
    random.SystemRandom().shuffle(rows)
    # The class of a ballot is left out where the class's choices are hidden (a secret vote's
    # class with few voters): the class next to a choice would show what that class chose.
    hidden = rules.hidden_classes(
        secret=proposal.secret, cast_by_class=Counter(row[1] for row in rows)
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proposal-{proposal.pk}-ballots.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "receipt", "class", "choice", "approvals", "ranking"])
    for n, (receipt, slug, choice, approvals, ranking) in enumerate(rows, start=1):
        writer.writerow(
            [
                n,
                receipt,
                "" if slug in hidden else slug,
                choice,
                _cell("; ".join(labels.get(o, str(o)) for o in approvals)),
                _cell(" > ".join(labels.get(o, str(o)) for o in ranking)),
            ]
        )
    return response
