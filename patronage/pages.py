"""The money pages: the open books and "My money" (with the statement's CSV and PDF) that
members read, and the staff pages of dividend runs (start, watch the progress by htmx polling,
cancel, approve). Reads go through `patronage.books` and the selectors, with query counts
pinned in tests; writes only through `patronage.services`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from coop.charts import Series, bar_chart, line_chart, stacked_bar_chart
from coop.errors import ServiceError
from coop.models import Cooperative
from ledger import rules as ledger_rules
from ledger import selectors as ledger_selectors
from ledger.models import FiscalPeriod
from membership import selectors as membership_selectors
from membership.forms import add_service_error
from membership.models import Member

from . import books, explain, pdf, rules, selectors, services
from .models import DividendRun


def _member_of(user) -> Member | None:
    member = membership_selectors.member_of(user)
    if user.is_authenticated:
        # The navigation reads user.member: remember this answer instead of asking again.
        Member.user.field.remote_field.set_cached_value(user, member)
    return member


def _period_short(period: FiscalPeriod) -> str:
    """"2025", or "2024–2025" for a period across two calendar years."""
    if period.start.year == period.end.year:
        return str(period.end.year)
    return f"{period.start.year}–{period.end.year}"


def _period_label(period: FiscalPeriod) -> str:
    name = _period_short(period)
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
        "can_run": rules.may_write(request.user),
    }
    if period is not None:
        statement = ledger_selectors.income_statement(period)
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
            labels=[_period_short(p) for p, _, _ in results], currency=currency,
            series=[Series("Revenue", [r for _, r, _ in results]),
                    Series("Expenses", [e for _, _, e in results]),
                    Series("Result", [r - e for _, r, e in results])],
            chart_id="chart-results")
    context.update(sheet=ledger_selectors.balance_sheet(on),
                   trial=ledger_selectors.trial_balance(on=on))
    history = selectors.allocation_history()
    if history:
        by_pk = {p.pk: p for p in periods}
        years = [_period_short(by_pk[h["period"]]) for h in history]
        context["allocation_chart"] = stacked_bar_chart(
            title="How each year's surplus was shared", labels=years, currency=currency,
            series=[Series("Indivisible reserve", [h["reserves_minor"] for h in history]),
                    Series("Commons fund", [h["commons_minor"] for h in history]),
                    Series("Interest on capital", [h["interest_minor"] for h in history]),
                    Series("Patronage", [h["patronage_minor"] for h in history])],
            chart_id="chart-allocation")
        slugs = sorted({slug for h in history for slug in h["classes"]})
        context["class_chart"] = bar_chart(
            title="Patronage per class and year", labels=years, currency=currency,
            series=[Series(slug.title(), [h["classes"].get(slug) for h in history])
                    for slug in slugs],
            chart_id="chart-classes")
    return render(request, "patronage/open_books.html", context)


# --- staff: dividend runs ------------------------------------------------------------------


def _staff_only(request) -> bool:
    return rules.may_write(request.user)


@login_required
def runs(request):
    """The periods with their runs, and the form that starts a run of a closed period."""
    if not _staff_only(request):
        raise Http404
    periods = list(FiscalPeriod.objects.order_by("-start"))
    all_runs = list(DividendRun.objects.order_by("-pk"))
    by_period: dict[int, list[DividendRun]] = {}
    for run in all_runs:
        by_period.setdefault(run.period_id, []).append(run)
    rows = [{"period": p, "label": _period_label(p), "runs": by_period.get(p.pk, []),
             "posted": any(r.status == DividendRun.Status.POSTED for r in by_period.get(p.pk, []))}
            for p in periods]
    startable = [row for row in rows
                 if row["period"].status == FiscalPeriod.Status.CLOSED and not row["posted"]]
    return render(request, "patronage/runs.html", {
        "rows": rows, "startable": startable, "currency": Cooperative.current().currency})


@login_required
@require_POST
def run_start(request):
    if not _staff_only(request):
        raise Http404
    wanted = request.POST.get("period", "")
    period = FiscalPeriod.objects.filter(pk=wanted).first() if wanted.isdigit() else None
    if period is None:
        messages.error(request, "Choose a closed period to compute.")
        return redirect("runs")
    try:
        run = services.dividend_run_start(actor=request.user, period=period)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("runs")
    messages.success(request, f"Run {run.pk} started for {_period_label(period)}.")
    return redirect("run", run_id=run.pk)


def _run_context(run: DividendRun) -> dict:
    currency = Cooperative.current().currency
    pools = []
    if run.status in (DividendRun.Status.COMPUTED, DividendRun.Status.POSTED):
        total = run.distributable_minor or 0
        pools = [("Interest on capital", run.interest_minor), ("Indivisible reserve",
                 run.reserves_minor), ("Commons fund", run.commons_minor),
                 ("Patronage", run.patronage_minor)]
        pools = [(name, amount, total) for name, amount in pools]
    return {"run": run, "currency": currency, "pools": pools,
            "label": _period_label(run.period),
            "class_pools": sorted((run.class_pools or {}).items())}


@login_required
def run_detail(request, run_id: int):
    """A run's progress (the status card polls itself by htmx until the run has finished), its
    pools with their arithmetic, and the actions its status allows."""
    if not _staff_only(request):
        raise Http404
    run = get_object_or_404(DividendRun.objects.select_related("period", "policy"), pk=run_id)
    context = _run_context(run)
    htmx = getattr(request, "htmx", None)
    template = "patronage/run.html"
    if htmx and not htmx.history_restore_request:
        template += "#status"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def run_action(request, run_id: int, action: str):
    if not _staff_only(request):
        raise Http404
    run = get_object_or_404(DividendRun, pk=run_id)
    act = {"cancel": services.dividend_run_cancel, "approve": services.dividend_run_approve,
           "rerun": services.dividend_run_rerun}.get(action)
    if act is None:
        raise Http404
    try:
        run = act(actor=request.user, run=run)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        done = {"cancel": "cancelled", "approve": "approved and posted",
                "rerun": "started again"}[action]
        messages.success(request, f"Run {run.pk} {done}.")
    return redirect("run", run_id=run.pk)


# --- members: "My money" ------------------------------------------------------------------


def _own_member(request) -> Member | None:
    """The signed-in person's member row (any status: a member who left keeps their
    statements)."""
    return _member_of(request.user)


class PayoutAccountForm(forms.Form):
    iban = forms.CharField(label="IBAN", max_length=50,
                           help_text="As on your bank card or statement; spaces are fine.")
    holder = forms.CharField(label="Account holder", max_length=140, required=False,
                             help_text="If the account is not in your own name.")


def _masked_iban(iban: str) -> str:
    """Only the last four characters, in the printed groups of four (the rest is personal)."""
    hidden = "•" * (len(iban) - 4) + iban[-4:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))


@login_required
def my_money(request, *, payout_form=None, status=200):
    """The member's capital account history, their statements period by period, and where
    their dividends are paid (`my_payout_account` posts the form and may show it again)."""
    member = _own_member(request)
    if member is None:
        return render(request, "patronage/members_only.html", status=403)
    account = selectors.payout_account_of(member)
    currency = Cooperative.current_currency()
    balance, history = books.capital_account(member.pk)
    statements = selectors.member_statements(member)
    capital_chart = None
    if len(history) > 1:
        capital_chart = line_chart(
            title="Your capital account over time", currency=currency,
            labels=[f"{line.date:%-d %b %Y}" for line in history],
            series=[Series("Balance", [line.balance_minor for line in history])],
            chart_id="chart-capital")
    return render(request, "patronage/my_money.html", {
        "member": member, "currency": currency, "history": list(reversed(history)),
        "balance": balance,
        "statements": statements, "capital_chart": capital_chart,
        "payout_iban": _masked_iban(account.iban) if account else "",
        "payout_last4": account.iban[-4:] if account else "",
        "payout_holder": account.holder if account else "",
        # The holder is kept when only the IBAN changes; the IBAN itself is never sent back.
        "payout_form": payout_form or PayoutAccountForm(
            initial={"holder": account.holder if account else ""}),
        "payout_editing": payout_form is not None,
    }, status=status)


@login_required
@require_POST
def my_payout_account(request):
    """Set, change or remove the member's own IBAN through `patronage.services`; a refused
    IBAN shows the form again with the error by its field and changes nothing."""
    member = _own_member(request)
    if member is None:
        raise Http404
    if "remove" in request.POST:
        if services.payout_account_remove(actor=request.user, member=member):
            messages.success(request, "Your IBAN was removed: payouts wait until you set one.")
        return redirect("my-money")
    form = PayoutAccountForm(request.POST)
    if form.is_valid():
        try:
            services.payout_account_set(actor=request.user, member=member,
                                        iban=form.cleaned_data["iban"],
                                        holder=form.cleaned_data["holder"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your IBAN was saved: dividends will be paid there.")
            return redirect("my-money")
    return my_money(request, payout_form=form, status=400)


def _statement_csv(rows: list[dict], currency: str, filename: str) -> HttpResponse:
    """Statements as CSV: one row per period, amounts in the currency's units (the same
    figures as the page, without thousands separators, so spreadsheets read them)."""
    import csv

    from coop.money import format_minor

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["period_start", "period_end", "run", "contribution", "currency",
                     "interest", "patronage", "cash", "retained"])
    for row in rows:
        writer.writerow([row["period_start"], row["period_end"], row["run_id"],
                         row["contribution"], currency,
                         *(format_minor(row[name], currency, code=False).replace(",", "")
                           for name in ("interest_minor", "patronage_minor", "cash_minor",
                                        "retained_minor"))])
    return response


@login_required
def my_statements_csv(request):
    member = _own_member(request)
    if member is None:
        raise Http404
    return _statement_csv(selectors.member_statements(member), Cooperative.current_currency(),
                          f"statements-{member.member_number}.csv")


def _wants_pdf(request) -> bool:
    return (request.GET.get("format") == "pdf"
            or request.headers.get("Accept", "").split(",")[0].strip() == "application/pdf")


@login_required
def my_statement(request, period_id: int):
    """One period's statement with every figure explained; `?format=pdf` (or `Accept:
    application/pdf`) gives the PDF, `?format=csv` the CSV row."""
    member = _own_member(request)
    if member is None:
        raise Http404
    period = get_object_or_404(FiscalPeriod, pk=period_id)
    statement = selectors.member_statement(member, period)
    if statement.run is None or statement.line is None:
        raise Http404("No statement for this period.")
    cooperative = Cooperative.current()
    currency = cooperative.currency
    if _wants_pdf(request):
        response = HttpResponse(pdf.renderer()(statement), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="statement-{member.member_number}-{period.end}.pdf"')
        return response
    if request.GET.get("format") == "csv":
        return _statement_csv([statement.as_dict()], currency,
                              f"statement-{member.member_number}-{period.end}.csv")
    response = render(request, "patronage/statement.html", {
        "member": member, "period": period, "statement": statement, "currency": currency,
        "period_name": explain.period_name(period),
        "figures": explain.figures(statement, currency),
        "sections": explain.sections(statement, currency),
    })
    patch_vary_headers(response, ("Accept",))
    return response
