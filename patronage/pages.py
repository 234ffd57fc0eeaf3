"""The money pages members read: the open books and "My money" (with the statement's CSV and
PDF). They read through `patronage.books` and the selectors, with query counts pinned in tests,
and write nothing.

Kept apart from `views.py` (the staff pages of contributions, runs and payouts) because they
serve a different reader: every member, never another member's figures.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from coop.charts import Series, bar_chart, line_chart
from coop.models import Cooperative
from ledger import rules as ledger_rules
from ledger.models import FiscalPeriod
from membership import selectors as membership_selectors
from membership.models import Member

from . import books


def _member_of(user) -> Member | None:
    member = membership_selectors.member_of(user)
    if user.is_authenticated:
        # The navigation reads user.member: remember this answer instead of asking again.
        Member.user.field.remote_field.set_cached_value(user, member)
    return member


def _period_label(period: FiscalPeriod) -> str:
    if period.start.year == period.end.year:
        name = str(period.end.year)
    else:
        name = f"{period.start.year}–{period.end.year}"
    state = "closed" if period.status == FiscalPeriod.Status.CLOSED else "open"
    return f"{name} ({period.start:%-d %b %Y} – {period.end:%-d %b %Y}, {state})"


def _chosen_period(request, periods: list[FiscalPeriod]) -> tuple[FiscalPeriod | None, str]:
    """The period asked for (by id), else the latest closed one, else the latest."""
    wanted = request.GET.get("period", "")
    for p in periods:
        if str(p.pk) == wanted:
            return p, ""
    error = "There is no such period; showing the latest." if wanted else ""
    closed = [p for p in periods if p.status == FiscalPeriod.Status.CLOSED]
    return (closed[-1] if closed else (periods[-1] if periods else None)), error


@login_required
def open_books(request):
    """Income statement, balance sheet and trial balance, with charts: every member may read
    them (RULES §3 "Statements"); aggregates only."""
    viewer = _member_of(request.user)
    if not ledger_rules.may_read_books(request.user, viewer):
        return render(request, "patronage/members_only.html", status=403)
    cooperative = Cooperative.current()
    currency = cooperative.currency
    periods = list(FiscalPeriod.objects.order_by("start"))
    period, period_error = _chosen_period(request, periods)

    on = None
    on_error = ""
    if request.GET.get("on"):
        field = forms.DateField()
        try:
            on = field.clean(request.GET["on"])
        except forms.ValidationError:
            on_error = "Enter a date such as 2025-12-31."
    today = timezone.localdate()
    if on is None:
        on = min(period.end, today) if period else today

    context = {
        "coop": cooperative, "currency": currency, "periods": periods, "period": period,
        "period_choices": [(p, _period_label(p)) for p in reversed(periods)],
        "period_label": _period_label(period) if period else "",
        "period_error": period_error, "on": on, "on_error": on_error,
        "on_value": request.GET.get("on", ""),
    }
    chart = books.chart_of_accounts()
    if period is not None:
        statement = books.income_statement(period, chart)
        month_rows = books.months(period.start, min(period.end, max(today, period.start)))
        context["statement"] = statement
        context["monthly_chart"] = line_chart(
            title=f"Revenue and expenses per month, {_period_label(period)}",
            labels=[f"{m.month:%b %Y}" for m in month_rows], currency=currency,
            series=[Series("Revenue", [m.revenue_minor for m in month_rows]),
                    Series("Expenses", [m.expenses_minor for m in month_rows])],
            chart_id="chart-monthly")
        results = books.period_results(periods)
        context["results_chart"] = bar_chart(
            title="Revenue, expenses and result per period",
            labels=[_period_label(p).split(" (")[0] for p, _, _ in results], currency=currency,
            series=[Series("Revenue", [r for _, r, _ in results]),
                    Series("Expenses", [e for _, _, e in results]),
                    Series("Result", [r - e for _, r, e in results])],
            chart_id="chart-results")
    sheet, trial = books.books_on(on, chart)
    context.update(sheet=sheet, trial=trial)
    return render(request, "patronage/open_books.html", context)
