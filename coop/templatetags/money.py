"""`{% load money %}{{ amount_minor|money:currency }}` → "1,250.00 EUR" (see coop/money.py).

Pass the currency (`coop.currency`, or the `currency` every page's context has): without it the
filter reads the cooperative's row, one query each time.
"""

from django import template

from coop.models import Cooperative
from coop.money import format_minor

register = template.Library()


@register.filter
def money(minor, currency=None):
    if minor is None or minor == "":
        return "–"
    return format_minor(int(minor), currency or Cooperative.current().currency)
