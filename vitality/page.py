"""The dashboard page's content, built from the snapshots already read (no query here except
the comments of the month shown): charts through coop/charts.py, the alerts with their
practices, this month against the last three, the CSV rows."""

from coop.charts import Series, line_chart
from coop.models import Cooperative

from . import present, selectors
from .figures import CLASS_FIGURES, FIGURES, MONEY
from .months import label


def _latest(snapshots):
    """The month the page is about: the last finished month, else the current one."""
    finals = [s for s in snapshots if not s.provisional]
    return (finals or snapshots or [None])[-1]


def charts(snapshots, *, chosen_class: str = "", class_name: str = "") -> list:
    currency = Cooperative.current_currency()
    labels = [f"{s.month:%b %Y}" for s in snapshots]
    drawn = []
    for name, title in FIGURES.items():
        if chosen_class and name not in CLASS_FIGURES:
            continue
        if chosen_class:
            values = [present.chart_value(name, s.by_class.get(chosen_class, {}).get(name))
                      for s in snapshots]
            title = f"{title} — {class_name}"
        else:
            values = [present.chart_value(name, s.metrics.get(name)) for s in snapshots]
        drawn.append(line_chart(
            title=title, labels=labels, series=[Series(FIGURES[name], values)],
            currency=currency if name in MONEY else None, fmt=present.chart_format(name),
            chart_id=f"chart-{name}"))
    return drawn


def dashboard_context(snapshots, *, period: int, chosen_class: str, classes: dict) -> dict:
    latest = _latest(snapshots)
    context = {"period": period, "periods": (12, 24, 36), "classes": classes,
               "chosen_class": chosen_class, "class_name": classes.get(chosen_class, ""),
               "latest": latest, "snapshots": snapshots,
               "charts": charts(snapshots, chosen_class=chosen_class,
                                class_name=classes.get(chosen_class, ""))}
    if latest is None:
        return context
    before = [s for s in snapshots if s.month < latest.month][-3:]
    context["alerts"] = [present.alert_view(a) for a in latest.alerts]
    context["comparison"] = present.compare(latest, before, FIGURES)
    context["comments"] = selectors.comments(latest.month)
    context["provisional"] = [s for s in snapshots if s.provisional]
    return context


def export_rows(snapshots):
    """The CSV: a header, then for each month the figures of all members and of each class
    (aggregates only: no answer, no member)."""
    names = list(FIGURES)
    yield ["month", "provisional", "computed_at", "scope", *names, "alerts"]
    for s in snapshots:
        month = label(s.month)
        common = [month, "yes" if s.provisional else "no", s.computed_at.isoformat()]
        yield [*common, "all", *[_cell(s.metrics.get(n)) for n in names],
               " ".join(a["code"] for a in s.alerts)]
        for slug, row in sorted(s.by_class.items()):
            yield [*common, slug, *[_cell(row.get(n)) if n in CLASS_FIGURES else ""
                                    for n in names], ""]


def _cell(value) -> str:
    return "" if value is None else str(value)
