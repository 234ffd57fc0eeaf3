"""`{% load money %}{{ amount_minor|money:currency }}` → "1,250.00 EUR" (see coop/money.py).

Pass the currency (e.g. `coop.currency` where the view gives `coop`): without it the filter asks
`Cooperative.current_currency()`, which reads the row once per process.
"""

from django import template

from coop.models import Cooperative
from coop.money import format_minor

register = template.Library()


@register.filter
def money(minor, currency=None):
    if minor is None or minor == "":
        return "–"
    return format_minor(int(minor), currency or Cooperative.current_currency())
