"""Charts drawn on the server: SVG line, bar and stacked-bar charts with their data table.

Why hand-written markup and not a library: the pages work without JavaScript and load nothing
from a CDN (the CSP allows only 'self'), and the Python chart libraries either draw images
(matplotlib: megabytes, a raster or a fixed-size SVG with inline styles the CSP refuses) or
emit JavaScript (plotly, bokeh, altair). A chart here is a few rectangles and polylines.

Use:

    chart = line_chart(
        title="Revenue per month", labels=["Jan", "Feb", "Mar"],
        series=[Series("Revenue", [120000, None, 98000])], currency="EUR")
    # in a template: {% load charts %}{% chart chart %}

What it promises:
- a `<figure>` with its `<figcaption>`, an `<svg role="img">` named by its `<title>` and
  `<desc>`, and a `<table>` of the same figures below it (the accessible reading, and the one
  to copy from);
- the SVG has a `viewBox` and no fixed size, so it scales to the column (a 390 px phone
  included); margins are computed from the longest axis label, and x labels that don't fit
  side by side are turned, so no label is cut off at an edge;
- `None` is a gap (no bar; the line breaks), shown as "–" in the table;
- money is given in minor units with `currency=`, and shown with `coop.money.format_minor`;
  other figures with `fmt=` (default: the integer or number with thousands separators);
- every label and name is escaped; nothing uses a `style` attribute (the CSP refuses them):
  colours are presentation attributes, sizes live in `static/css/site.css` (`.chart`).

No Django here: the template tag (`coop/templatetags/charts.py`) marks the markup safe.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from .money import exponent, format_minor

__all__ = ["Chart", "Series", "bar_chart", "line_chart", "stacked_bar_chart"]

Number = int | float

# Distinct on white and for the common colour-vision deficiencies (after Okabe & Ito), each at
# least 3:1 against white as WCAG asks of graphical objects.
PALETTE = ("#1e4fa8", "#c05a00", "#17653a", "#8e3b8e", "#a01f1f", "#4a4a55", "#006d77")

WIDTH = 420          # viewBox units; the page scales the whole drawing
PLOT_HEIGHT = 180
FONT = 12
CHAR = 0.62 * FONT   # a generous average advance of one character (digits and Latin text)
MAX_LABEL_CHARS = 24  # longer x labels are shortened in the drawing (whole in the table)
TURN = 40            # degrees x labels are turned when they don't fit side by side
MISSING = "–"


@dataclass(frozen=True)
class Series:
    """One named row of figures, one value (or None for a gap) per label."""

    name: str
    values: Sequence[Number | None]


def text_width(text: str) -> float:
    """An estimate of `text`'s width in viewBox units: wide (CJK) characters count twice."""
    return CHAR * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _num(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ticks(low: Number, high: Number, *, integer: bool, target: int = 5) -> list[Number]:
    """Round tick values covering [low, high] (which include 0): steps of 1, 2, 2.5 or 5 times
    a power of ten, about `target` of them. `integer` keeps steps whole (minor units)."""
    if high == low:
        high = low + 1
    raw = (high - low) / (target - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    # Through text, so that 2.5 * 100 is 250 and not 250.00000000000003.
    step = next(float(f"{m * magnitude:.12g}") for m in (1, 2, 2.5, 5, 10)
                if m * magnitude >= raw)
    if integer:
        step = max(1, math.ceil(step))
    first = math.floor(low / step)
    last = math.ceil(high / step)
    ticks = [round(i * step, 10) for i in range(first, last + 1)]
    return [int(t) for t in ticks] if integer else ticks


class Chart:
    """A drawn chart: `html()` (also `str`) gives the `<figure>`."""

    def __init__(self, *, kind: str, title: str, labels: Sequence[str],
                 series: Sequence[Series], currency: str | None = None,
                 fmt: Callable[[Number], str] | None = None, desc: str = "",
                 chart_id: str = "", table: bool = True):
        self.kind = kind
        self.title = title
        self.labels = [str(label) for label in labels]
        self.series = list(series)
        for s in self.series:
            if len(s.values) != len(self.labels):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for "
                                 f"{len(self.labels)} labels")
        self.currency = currency
        if currency is not None:
            exponent(currency)  # an unknown code fails here, not halfway through the markup
        self._fmt = fmt
        self.desc = desc
        self.show_table = table
        self.id = chart_id or "chart-" + hashlib.sha256(
            f"{kind}|{title}|{self.labels}".encode()).hexdigest()[:10]

    # --- figures as text ---------------------------------------------------------------------
    def format(self, value: Number | None, *, code: bool = True) -> str:
        """A figure as text; `code=False` leaves the currency code off (the table's corner
        cell names it once, so the columns stay narrow on a phone)."""
        if value is None:
            return MISSING
        if self.currency is not None:
            return format_minor(int(value), self.currency, code=code)
        if self._fmt is not None:
            return self._fmt(value)
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"

    def axis_format(self, value: Number) -> str:
        """A tick label: money without its code (the caption or desc names the currency) and
        without ".00" on whole units, so the axis stays narrow."""
        if self.currency is not None:
            text = format_minor(int(value), self.currency, code=False)
            digits = exponent(self.currency)
            return text.removesuffix("." + "0" * digits) if digits else text
        return self.format(value)

    @property
    def empty(self) -> bool:
        return not self.labels or all(v is None for s in self.series for v in s.values)

    # --- markup ------------------------------------------------------------------------------
    def html(self) -> str:
        caption = f'<figcaption>{escape(self.title)}</figcaption>'
        if self.empty:
            return (f'<figure class="chart" id="{self.id}">{caption}'
                    f'<p class="muted chart-empty">No figures yet.</p></figure>')
        table = self._table() if self.show_table else ""
        return f'<figure class="chart" id="{self.id}">{caption}{self._svg()}{table}</figure>'

    __str__ = html

    def summary(self) -> str:
        kinds = {"line": "Line chart", "bar": "Bar chart", "stacked": "Stacked bar chart"}
        names = ", ".join(s.name for s in self.series)
        span = self.labels[0] if len(self.labels) == 1 else f"{self.labels[0]} to {self.labels[-1]}"
        money = f" in {self.currency}" if self.currency else ""
        return f"{kinds[self.kind]} of {names}{money}, {span}. The table gives every figure."

    def _table(self) -> str:
        stacked = self.kind == "stacked"
        head = "".join(f'<th scope="col" class="num">{escape(s.name)}</th>' for s in self.series)
        if stacked:
            head += '<th scope="col" class="num">Total</th>'
        rows = []
        for i, label in enumerate(self.labels):
            values = [s.values[i] for s in self.series]
            cells = "".join(f'<td class="num">{escape(self.format(v, code=False))}</td>'
                            for v in values)
            if stacked:
                present = [v for v in values if v is not None]
                total = sum(present) if present else None
                cells += f'<td class="num">{escape(self.format(total, code=False))}</td>'
            rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
        # A focusable region: on a phone the figures' columns scroll sideways, by keyboard too.
        return (f'<div class="table-wrap scrolls" role="region" tabindex="0" '
                f'aria-label="{escape(self.title)}: the figures"><table class="chart-data">'
                f'<caption class="visually-hidden">{escape(self.title)}: the figures</caption>'
                f'<thead><tr><th scope="col">{escape(self.currency or "")}</th>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>')

    def _extent(self) -> tuple[Number, Number]:
        if self.kind == "stacked":
            columns = [[s.values[i] or 0 for s in self.series] for i in range(len(self.labels))]
            ups = [sum(v for v in column if v > 0) for column in columns]
            downs = [sum(v for v in column if v < 0) for column in columns]
            return min(0, *downs), max(0, *ups)
        present = [v for s in self.series for v in s.values if v is not None]
        return min(0, *present), max(0, *present)

    def _svg(self) -> str:
        n = len(self.labels)
        integer = self.currency is not None or all(
            isinstance(v, int) for s in self.series for v in s.values if v is not None)
        low, high = self._extent()
        ticks = nice_ticks(low, high, integer=integer)
        y_min, y_max = ticks[0], ticks[-1]
        tick_labels = [self.axis_format(t) for t in ticks]

        # Legend (only for more than one series), laid out in rows across the width.
        legend, legend_height = [], 0
        if len(self.series) > 1:
            x, row = 0.0, 0
            for k, s in enumerate(self.series):
                w = 14 + 4 + text_width(s.name) + 12
                if x and x + w > WIDTH:
                    x, row = 0.0, row + 1
                y = row * 18
                legend.append(
                    f'<rect x="{_num(x)}" y="{y + 2}" width="12" height="12" rx="2" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"/>'
                    f'<text x="{_num(x + 17)}" y="{y + 12}">{escape(s.name)}</text>')
                x += w
            legend_height = (row + 1) * 18 + 6
        top = legend_height + FONT  # room above the top tick's label

        # Left margin: the widest tick label; x labels and their fit.
        margin_left = max(text_width(t) for t in tick_labels) + 10
        margin_right = 8.0
        shown = [_short(label) for label in self.labels]
        widths = [text_width(label) for label in shown]
        slot = (WIDTH - margin_left - margin_right) / n
        turned = max(widths) > slot - 4
        every = 1
        if turned:
            # Turned labels need one line's height of room each; thin them out if crowded.
            every = max(1, math.ceil((FONT * 1.3) / (slot * math.sin(math.radians(TURN)))))
            cos = math.cos(math.radians(TURN))
            # A turned label reaches left of its point by its width's cosine: the left margin
            # keeps label i inside, its point being at ML + (WIDTH - ML - MR) * (i + ½) / n.
            for i in range(0, n, every):
                at = (i + 0.5) / n
                need = (widths[i] * cos + 2 - (WIDTH - margin_right) * at) / (1 - at)
                margin_left = max(margin_left, need)
            slot = (WIDTH - margin_left - margin_right) / n
            bottom = max(w for i, w in enumerate(widths) if i % every == 0) \
                * math.sin(math.radians(TURN)) + FONT + 10
        else:
            bottom = FONT + 14
        height = top + PLOT_HEIGHT + bottom

        def y_of(value: Number) -> float:
            return top + PLOT_HEIGHT * (y_max - value) / (y_max - y_min)

        def x_of(i: int) -> float:
            return margin_left + slot * (i + 0.5)

        parts = [f'<g class="chart-legend" font-size="{FONT}" fill="#1b1b1f">{"".join(legend)}</g>'
                 if legend else ""]
        # Grid and y axis.
        grid = []
        for t, text in zip(ticks, tick_labels, strict=True):
            y = y_of(t)
            colour = "#767683" if t == 0 else "#d0d0d8"
            grid.append(f'<line x1="{_num(margin_left)}" x2="{_num(WIDTH - margin_right)}" '
                        f'y1="{_num(y)}" y2="{_num(y)}" stroke="{colour}" stroke-width="1"/>'
                        f'<text x="{_num(margin_left - 6)}" y="{_num(y + FONT * 0.35)}" '
                        f'text-anchor="end">{escape(text)}</text>')
        parts.append(f'<g class="chart-axis" font-size="{FONT}" fill="#4a4a55">{"".join(grid)}</g>')

        # X labels.
        xl = []
        label_y = top + PLOT_HEIGHT + FONT + 4
        for i, label in enumerate(shown):
            if i % every:
                continue
            x = x_of(i)
            if turned:
                xl.append(f'<text x="{_num(x)}" y="{_num(label_y)}" text-anchor="end" '
                          f'transform="rotate(-{TURN} {_num(x)} {_num(label_y)})">'
                          f'{escape(label)}</text>')
            else:
                xl.append(f'<text x="{_num(x)}" y="{_num(label_y)}" text-anchor="middle">'
                          f'{escape(label)}</text>')
        parts.append(f'<g class="chart-labels" font-size="{FONT}" fill="#4a4a55">{"".join(xl)}</g>')

        # The figures.
        marks = []
        if self.kind == "line":
            for k, s in enumerate(self.series):
                colour = PALETTE[k % len(PALETTE)]
                runs, run = [], []
                for i, v in enumerate(s.values):
                    if v is None:
                        if run:
                            runs.append(run)
                        run = []
                    else:
                        run.append((x_of(i), y_of(v)))
                if run:
                    runs.append(run)
                for run in runs:
                    if len(run) > 1:
                        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
                        marks.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                                     f'stroke-width="2.5" stroke-linejoin="round"/>')
                for i, v in enumerate(s.values):
                    if v is not None:
                        marks.append(
                            f'<circle cx="{_num(x_of(i))}" cy="{_num(y_of(v))}" r="3.5" '
                            f'fill="{colour}"><title>{escape(self._tip(i, s, v))}</title></circle>')
        elif self.kind == "bar":
            inner = slot * 0.7
            bar_w = inner / len(self.series)
            for k, s in enumerate(self.series):
                colour = PALETTE[k % len(PALETTE)]
                for i, v in enumerate(s.values):
                    if v is None:
                        continue
                    x = x_of(i) - inner / 2 + k * bar_w
                    y0, y1 = sorted((y_of(v), y_of(0)))
                    marks.append(
                        f'<rect x="{_num(x)}" y="{_num(y0)}" width="{_num(bar_w)}" '
                        f'height="{_num(y1 - y0)}" fill="{colour}">'
                        f'<title>{escape(self._tip(i, s, v))}</title></rect>')
        else:  # stacked
            bar_w = slot * 0.6
            for i in range(n):
                up, down = 0, 0
                for k, s in enumerate(self.series):
                    v = s.values[i]
                    if not v:
                        continue
                    base = up if v > 0 else down
                    y0, y1 = sorted((y_of(base), y_of(base + v)))
                    if v > 0:
                        up += v
                    else:
                        down += v
                    marks.append(
                        f'<rect x="{_num(x_of(i) - bar_w / 2)}" y="{_num(y0)}" '
                        f'width="{_num(bar_w)}" height="{_num(y1 - y0)}" '
                        f'fill="{PALETTE[k % len(PALETTE)]}" stroke="#ffffff" stroke-width="1">'
                        f'<title>{escape(self._tip(i, s, v))}</title></rect>')
        parts.append(f'<g class="chart-marks">{"".join(marks)}</g>')

        return (f'<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" '
                f'viewBox="0 0 {WIDTH} {_num(height)}" role="img" '
                f'aria-labelledby="{self.id}-title {self.id}-desc" '
                f'preserveAspectRatio="xMidYMid meet">'
                f'<title id="{self.id}-title">{escape(self.title)}</title>'
                f'<desc id="{self.id}-desc">{escape(self.desc or self.summary())}</desc>'
                f'{"".join(parts)}</svg>')

    def _tip(self, i: int, s: Series, v: Number) -> str:
        return f"{self.labels[i]} – {s.name}: {self.format(v)}"


def line_chart(**kwargs) -> Chart:
    """Lines over the labels (months, years); see `Chart` for the arguments."""
    return Chart(kind="line", **kwargs)


def bar_chart(**kwargs) -> Chart:
    """Bars side by side, one per series in each label's slot."""
    return Chart(kind="bar", **kwargs)


def stacked_bar_chart(**kwargs) -> Chart:
    """One bar per label, the series stacked (e.g. a year's surplus by allocation); the table
    adds a Total column."""
    return Chart(kind="stacked", **kwargs)
