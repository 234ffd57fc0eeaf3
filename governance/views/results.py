"""A closed vote's result page and its ballots as CSV."""

import csv
import random
from collections import Counter
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from membership.models import StakeholderClass

from .. import rules, services, tally
from ..models import Ballot, Method, SecretBallot
from ._common import _members_only, _proposal_or_404, _viewer
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


def _plain(value: Decimal) -> str:
    """A count as people write it: "3" for the tally's "3.00000", "2.5" for "2.50000" (the
    decimals the STV count keeps are exact, so dropping trailing zeros loses nothing)."""
    return f"{value.normalize():f}" if value else "0"


def _share(part, whole) -> dict | None:
    """``part`` of ``whole`` for people: a percentage cut (never rounded up) to one decimal, as
    the tally cuts its own figures, and the exact fraction that decides, for the details toggle."""
    if not whole:
        return None
    exact = Fraction(str(part)) / Fraction(str(whole))  # "3.50000", 7 and "3/4" alike
    return {"percent": tally.decimal_string(exact * 100, 1),
            "exact": f"{exact.numerator}/{exact.denominator}"}


def _bars(rows: list[tuple[str, Decimal, dict | None]]) -> dict:
    """A horizontal bar chart drawn on the server as SVG geometry (no script, no inline style).

    330 units wide, drawn at its own size in a card on a 390 px phone, where the 14px text stays
    14px. Each
    option's label has a line of its own above its bar (long names are not squeezed into a
    column), and the longest bar leaves room for its value, so no text runs past the edge."""
    width, row_height, label_chars = 330, 50, 38
    top = max((value for _, value, _ in rows), default=Decimal(0))
    values = [_plain(value) + (f" ({share['percent']} %)" if share else "")
              for _, value, share in rows]
    # 9 units a character is the widest digit of a 14px sans-serif (DejaVu's 0.64em).
    room = max((len(text) for text in values), default=0) * 9 + 8
    bar_room = width - room
    bars = []
    for i, ((label, value, _), text) in enumerate(zip(rows, values, strict=True)):
        bar = int(value * bar_room / top) if top > 0 else 0
        short = label if len(label) <= label_chars else label[: label_chars - 1] + "…"
        y = i * row_height + 2  # the first label's ascenders stay inside the top edge
        bars.append(
            {
                "label": label,
                "short": short,
                "value": text,
                "label_y": y + 16,
                "y": y + 22,
                "text_y": y + 37,
                "width": bar,
                "value_x": bar + 6,
            }
        )
    return {"bars": bars, "bar_height": 20, "width": width,
            "height": max(len(rows), 1) * row_height + 2}


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

    cast = result["ballots_cast"]
    totals = [(name(key), _number(value), _share(value, cast))
              for key, value in ordered(result["totals"])]
    rounds = []
    for stage in result.get("rounds", []):
        rounds.append(
            {
                **stage,
                "option_label": name(stage["option"]) if stage.get("option") else "",
                "cells": [_plain(_number(stage["counts"][key])) if key in stage["counts"] else ""
                          for key in options],
                "non_transferable_total": _plain(_number(stage.get("non_transferable_total"))),
                "quota": _plain(_number(stage["quota"])) if stage.get("quota") else None,
                "elected_labels": [name(o) for o in stage.get("elected", [])],
                "eliminated_labels": [name(o) for o in stage.get("eliminated", [])],
            }
        )
    if proposal.method == Method.RANKED and rounds:
        last = result["rounds"][-1]["counts"]
        chart_rows = [(name(key), _number(value), _share(value, cast))
                      for key, value in ordered(last)]
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
    class_names = dict(StakeholderClass.objects.filter(slug__in=list(result["by_class"]))
                       .values_list("slug", "name"))
    for slug, entry in sorted(result["by_class"].items()):
        hidden = slug in hidden_slugs
        class_totals = None if hidden else entry.get("totals")
        share = None
        if not hidden and entry.get("share") is not None and class_totals:
            exact = tally.yes_share(proposal.method, class_totals)
            share = _share(exact, 1) if exact is not None else None
        by_class.append(
            {
                "slug": slug,
                "name": class_names.get(slug, slug),
                **entry,
                "turnout": _share(entry.get("cast", 0), entry.get("electorate", 0)),
                "share": share,
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
            "turnout": _share(cast, result["electorate"]),
            "weighted_yes": _share(result["weighted_yes_exact"], 1)
            if result.get("weighted_yes_exact")
            else None,
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
