"""Vitality's pages: the pulse survey's answer (posted from the member home's block), the
dashboard (members and staff) and its CSV export."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coop.errors import ServiceError
from membership.selectors import member_of

from . import blocks, page, rules, selectors, services
from .forms import PulseForm


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_POST
def pulse(request):
    """The member's answer: saved, then back to the home page (without JavaScript) or the
    block again (htmx). Errors are shown by field in the block."""
    member = member_of(request.user)
    if not rules.may_answer(member):
        return HttpResponseForbidden("Only active members answer the pulse survey.")
    form = PulseForm(request.POST)
    if form.is_valid():
        try:
            _, created = services.pulse_answer(actor=request.user, member=member,
                                               score=form.cleaned_data["score"],
                                               comment=form.cleaned_data["comment"])
        except ServiceError as error:
            for field, errors in (error.errors or {"score": [str(error)]}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            text = "Thank you: your answer is saved." if created else "Your answer is changed."
            if _htmx(request):
                block = blocks.pulse(member)
                return render(request, "vitality/pulse_partial.html",
                              {"pulse_block": block, "thanks": text})
            messages.success(request, text)
            return redirect("home")
    block = blocks.pulse(member, form=form)
    template = "vitality/pulse_partial.html" if _htmx(request) else "vitality/pulse_page.html"
    return render(request, template, {"pulse_block": block}, status=400)


PERIODS = (12, 24, 36)


def _dashboard_access(request):
    """Members (active or awaiting payment) and staff; None when allowed, else the answer."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = member_of(request.user)
    if not rules.may_read(request.user, member):
        return render(request, "vitality/members_only.html", status=403)
    return None


@login_required
def dashboard(request):
    """Trend charts of every figure over 12, 24 or 36 months (overall or one class), the
    alerts with what to do, this month against the last three, and the month's comments."""
    if (refused := _dashboard_access(request)) is not None:
        return refused
    try:
        period = int(request.GET.get("months", 12))
    except ValueError:
        period = 12
    period = period if period in PERIODS else 12
    classes = selectors.class_choices()
    chosen = request.GET.get("class", "")
    chosen = chosen if chosen in classes else ""
    context = page.dashboard_context(selectors.snapshots(months=period), period=period,
                                     chosen_class=chosen, classes=classes)
    return render(request, "vitality/dashboard.html", context)


@login_required
def export(request):
    """Every snapshot as CSV: one row per month and scope (all members, then each class)."""
    if (refused := _dashboard_access(request)) is not None:
        return refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vitality-snapshots.csv"'
    writer = csv.writer(response)
    for row in page.export_rows(selectors.snapshots()):
        writer.writerow(row)
    return response
