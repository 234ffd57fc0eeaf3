"""`{% load charts %}{% chart chart %}`: places a `coop.charts.Chart` (its `<figure>` with the
SVG and the data table). The view builds the chart from a selector's figures."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def chart(chart):
    if chart is None:
        return ""
    # The markup is built with every label escaped (coop/charts.py).
    return mark_safe(chart.html())  # noqa: S308
