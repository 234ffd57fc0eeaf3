"""A member's statement in words and figures: every amount with the arithmetic that produced it
(RULES §4: the payments and days behind the interest, the contribution against the class's
total, the cash and retained split). The "My money" page and the PDF both show these sentences,
so they never disagree. Pure text from a `selectors.Statement`: no query here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from coop.money import exponent, format_minor

from .enactments import percent
from .pdf import Section, StatementDocument


def exact_money(value: Fraction, currency: str, places: int = 4) -> str:
    """An exact amount of minor units, in the currency's units with up to `places` decimals
    beyond the minor unit and "…" when it goes on: Fraction(2515068, 1000), "EUR" →
    "25.15068 EUR"; Fraction(1, 3), "EUR" → "0.003333… EUR"; 250, "EUR" → "2.50 EUR"."""
    exp = exponent(currency)
    units = Fraction(value) / 10**exp
    scale = 10 ** (exp + places)
    cut = Fraction(math.floor(units * scale), scale)
    text = f"{Decimal(cut.numerator) / Decimal(cut.denominator):,.{exp + places}f}"
    if exp + places:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(exp, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    return f"{text}{'…' if cut != units else ''} {currency}"


def _quantity(value: Decimal) -> str:
    """A contribution as people read it: 120.5000 → "120.5", 12.0000 → "12"."""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text or "0"


def figures(statement, currency: str) -> list[tuple[str, int]]:
    line = statement.line
    if line is None:
        return []
    rows = [("Interest on capital", line.interest_minor),
            ("Patronage", line.patronage_minor),
            ("– paid in cash", line.cash_minor),
            ("– retained in your capital account", line.retained_minor),
            ("Paid to you (interest and cash part)", line.interest_minor + line.cash_minor)]
    return rows


def sections(statement, currency: str) -> list[Section]:
    """The explanation, one section per figure."""
    money = lambda minor: format_minor(minor, currency)  # noqa: E731
    out = []
    if statement.run is None:
        return [Section("Not ready yet", [
            "This period has no approved dividend run yet; your statement appears once staff "
            "(or the members' assembly) approve it."])]
    if statement.line is None:
        return [Section("Nothing for this period", [
            "You were not an active member on the period's last day and contributed nothing "
            "in it, so the run has no line for you."])]
    i = statement.interest
    if i is None:
        out.append(Section("Interest on capital", [
            "You had no paid-up shares earning interest in this period, so no interest."]))
    else:
        lines = []
        for term in i.terms:
            lines.append(
                f"{money(term.amount_minor)} paid on {term.paid_on:%-d %b %Y}: "
                f"{money(term.amount_minor)} × {percent(i.rate_bp)} × {term.days}/365 days = "
                f"{exact_money(term.exact, currency)}")
        lines.append(f"Your interest, exactly: {exact_money(i.exact_total, currency)} "
                     f"(days counted without 29 February; nothing rounded yet).")
        if i.capped:
            lines.append(
                f"All members' interest came to {money(i.wanted_minor)}, more than the cap "
                f"({money(i.cap_minor)}), so the interest pool was {money(i.pool_minor)} and "
                f"each member received their share of it.")
        else:
            lines.append(f"All members' interest came to {money(i.wanted_minor)}, under the "
                         f"cap of {money(i.cap_minor)}: the pool was {money(i.pool_minor)}.")
        lines.append(f"Your part of the pool, in whole cents (largest remainder): "
                     f"{money(i.interest_minor)}, paid in cash.")
        out.append(Section("Interest on capital", lines))
    p = statement.patronage
    if p is not None:
        klass = statement.member.stakeholder_class  # loaded with the member (member_of)
        class_name = klass.name if klass.slug == p.class_slug else p.class_slug
        lines = [f"You contributed {_quantity(p.contribution)} ({p.measure}) in the period; "
                 f"the {class_name} class contributed {_quantity(p.class_contribution)} "
                 f"in all."]
        if p.forfeited:
            lines.append("Nobody in your class contributed, so the class's part went to the "
                         "indivisible reserve.")
        else:
            lines.append(f"The class's pool: {percent(p.class_share_bp)} of the patronage pool "
                         f"= {money(p.class_pool_minor)}.")
            if p.class_contribution:
                exact = (Fraction(p.class_pool_minor) * Fraction(p.contribution)
                         / Fraction(p.class_contribution))
                lines.append(
                    f"Your share: {money(p.class_pool_minor)} × {_quantity(p.contribution)} ÷ "
                    f"{_quantity(p.class_contribution)} = {exact_money(exact, currency)}, in "
                    f"whole cents (largest remainder): {money(p.patronage_minor)}.")
        out.append(Section("Patronage", lines))
        if p.exited:
            split = [f"You have left the cooperative, so all of your patronage, "
                     f"{money(p.patronage_minor)}, is paid in cash."]
        else:
            split = [f"Cash: {percent(p.cash_bp)} of {money(p.patronage_minor)}, rounded up to "
                     f"the cent = {money(p.cash_minor)}.",
                     f"Retained: {money(p.patronage_minor)} − {money(p.cash_minor)} = "
                     f"{money(p.retained_minor)}, credited to your capital account."]
        out.append(Section("Cash and retained", split))
    return out


def period_name(period) -> str:
    if period.start.year == period.end.year:
        return f"{period.end.year} ({period.start:%-d %B} – {period.end:%-d %B %Y})"
    return f"{period.start:%-d %B %Y} – {period.end:%-d %B %Y}"


def statement_document(statement, *, cooperative=None) -> StatementDocument:
    """What the PDF prints for a statement."""
    from coop.models import Cooperative

    cooperative = cooperative or Cooperative.current()
    currency = cooperative.currency
    member = statement.member
    return StatementDocument(
        cooperative=cooperative.name, member_name=member.name,
        member_number=member.member_number, period=period_name(statement.period),
        period_end=statement.period.end, currency=currency,
        figures=figures(statement, currency), sections=sections(statement, currency),
        note=(f"Dividend run {statement.run.pk}, inputs SHA-256 {statement.run.inputs_hash}. "
              f"Amounts are exact to the cent; the open books show the pools."
              if statement.run else ""))
