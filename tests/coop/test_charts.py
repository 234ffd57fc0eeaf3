"""coop.charts: SVG charts with their data table, drawn on the server.

The markup is parsed as XML (it is well-formed by construction), so the checks read the real
structure: the figure, the SVG's name, the marks, the table's cells."""

import math
import re
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from coop.charts import (
    WIDTH,
    Chart,
    Series,
    bar_chart,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(chart.html())


def svg_of(figure: ET.Element) -> ET.Element:
    return figure.find(f"{SVG}svg")


def table_rows(figure: ET.Element) -> list[list[str]]:
    table = figure.find("div/table")
    return [["".join(cell.itertext()) for cell in row] for row in table.iter("tr")]


def months(n):
    return [f"2026-{m:02d}" for m in range(1, n + 1)]


# --- structure ---------------------------------------------------------------------------------


def test_a_figure_with_caption_named_svg_and_the_same_figures_in_a_table():
    chart = line_chart(title="Revenue", labels=months(3), currency="EUR",
                       series=[Series("Revenue", [120000, 98050, 0])])
    figure = parse(chart)
    assert figure.tag == "figure" and "chart" in figure.get("class")
    assert figure[0].tag == "figcaption" and figure[0].text == "Revenue"
    svg = svg_of(figure)
    assert svg.get("role") == "img"
    # Scales with the column: a viewBox and no fixed size.
    assert re.fullmatch(r"0 0 \d+ [\d.]+", svg.get("viewBox"))
    assert svg.get("width") is None and svg.get("height") is None
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Revenue"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == desc_id and "EUR" in desc.text and "2026-01 to 2026-03" in desc.text
    # No style attributes anywhere (the CSP refuses them) and no script.
    assert not [e for e in figure.iter() if e.get("style") is not None]
    assert "<script" not in chart.html()
    # The table: the currency in the corner, amounts formatted by coop.money.
    assert table_rows(figure) == [
        ["EUR", "Revenue"],
        ["2026-01", "1,200.00"],
        ["2026-02", "980.50"],
        ["2026-03", "0.00"],
    ]
    # One point per value, each with its tooltip in full (with the code).
    points = svg.findall(f".//{SVG}circle")
    assert [p.find(f"{SVG}title").text for p in points] == [
        "2026-01 – Revenue: 1,200.00 EUR", "2026-02 – Revenue: 980.50 EUR",
        "2026-03 – Revenue: 0.00 EUR"]


def test_line_heights_follow_the_values():
    chart = line_chart(title="t", labels=months(3), series=[Series("a", [10, 20, 5])])
    ys = [float(c.get("cy")) for c in svg_of(parse(chart)).iter(f"{SVG}circle")]
    # SVG's y grows downward: the biggest value is highest.
    assert ys[1] < ys[0] < ys[2]
    # Equal steps in value are equal steps on the page.
    assert math.isclose((ys[0] - ys[1]) / 10, (ys[2] - ys[0]) / 5)


def test_bars_side_by_side_and_a_negative_bar_hangs_below_zero():
    chart = bar_chart(title="Result", labels=["2024", "2025"], currency="EUR",
                      series=[Series("Surplus", [50000, -20000]), Series("Budget", [40000, 10000])])
    svg = svg_of(parse(chart))
    bars = svg.findall(f".//{SVG}g[@class='chart-marks']/{SVG}rect")
    assert len(bars) == 4
    surplus_2024, loss_2025 = bars[0], bars[1]
    zero = [float(line.get("y1")) for line in svg.iter(f"{SVG}line")
            if line.get("stroke") == "#767683"]
    assert len(zero) == 1
    assert math.isclose(float(surplus_2024.get("y")) + float(surplus_2024.get("height")), zero[0])
    assert math.isclose(float(loss_2025.get("y")), zero[0])
    assert math.isclose(float(surplus_2024.get("height")) / float(loss_2025.get("height")), 2.5)


def test_stacked_bars_pile_up_and_the_table_adds_the_total():
    chart = stacked_bar_chart(
        title="Allocation", labels=["2025"], currency="EUR",
        series=[Series("Reserve", [30000]), Series("Commons", [None]),
                Series("Patronage", [70000])])
    figure = parse(chart)
    bars = svg_of(figure).findall(f".//{SVG}g[@class='chart-marks']/{SVG}rect")
    assert len(bars) == 2  # no bar for the missing part
    reserve, patronage = bars
    assert math.isclose(float(patronage.get("y")) + float(patronage.get("height")),
                        float(reserve.get("y")))
    assert math.isclose(float(patronage.get("height")) / float(reserve.get("height")), 70 / 30)
    assert table_rows(figure)[1] == ["2025", "300.00", "–", "700.00", "1,000.00"]


def test_a_legend_only_when_there_are_several_series():
    one = svg_of(parse(line_chart(title="t", labels=["a"], series=[Series("x", [1])])))
    two = svg_of(parse(line_chart(title="t", labels=["a"],
                                  series=[Series("x", [1]), Series("y", [2])])))
    assert one.find(f"{SVG}g[@class='chart-legend']") is None
    legend = two.find(f"{SVG}g[@class='chart-legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["x", "y"]


def test_template_tag_places_the_figure():
    chart = bar_chart(title="Members", labels=["Workers"], series=[Series("n", [3])])
    html = Template("{% load charts %}<div>{% chart c %}</div>").render(Context({"c": chart}))
    assert html.startswith('<div><figure class="chart"') and "&lt;figure" not in html
    assert Template("{% load charts %}{% chart c %}").render(Context({"c": None})) == ""


# --- escaping --------------------------------------------------------------------------------


def test_labels_names_and_titles_are_escaped():
    evil = '<script>alert("x")</script>&'
    chart = bar_chart(title=evil, labels=[evil, "ok"], series=[Series(evil, [1, 2]),
                                                                  Series("b", [3, 4])],
                      desc=evil)
    html = chart.html()
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    figure = ET.fromstring(html)  # still well-formed
    # Parsed back, the text is the original: escaped once, not twice.
    assert figure[0].text == evil
    assert svg_of(figure).find(f"{SVG}desc").text == evil
    assert table_rows(figure)[1][0] == evil
    assert [t.text for t in svg_of(figure).iter(f"{SVG}title")][0] == evil


def test_a_quote_in_a_label_cannot_leave_an_attribute():
    chart = line_chart(title='a" onload="x', labels=['" onmouseover="y'],
                       series=[Series("s", [1])])
    figure = parse(chart)
    assert not [e for e in figure.iter() if e.get("onload") or e.get("onmouseover")]


# --- gaps and empty --------------------------------------------------------------------------


def test_none_is_a_gap_in_the_line_and_a_dash_in_the_table():
    chart = line_chart(title="t", labels=months(6), currency="EUR",
                       series=[Series("a", [100, 200, None, 300, 400, None])])
    figure = parse(chart)
    svg = svg_of(figure)
    lines = svg.findall(f".//{SVG}polyline")
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    assert len(svg.findall(f".//{SVG}circle")) == 4
    assert [row[1] for row in table_rows(figure)[1:]] == ["1.00", "2.00", "–", "3.00", "4.00", "–"]


def test_an_isolated_value_is_a_point_without_a_line():
    chart = line_chart(title="t", labels=months(3), series=[Series("a", [None, 5, None])])
    svg = svg_of(parse(chart))
    assert svg.findall(f".//{SVG}polyline") == []
    assert len(svg.findall(f".//{SVG}circle")) == 1


def test_a_missing_bar_is_no_bar():
    chart = bar_chart(title="t", labels=["a", "b", "c"], series=[Series("s", [1, None, 0])])
    bars = svg_of(parse(chart)).findall(f".//{SVG}g[@class='chart-marks']/{SVG}rect")
    assert len(bars) == 2


@pytest.mark.parametrize("make", [line_chart, bar_chart, stacked_bar_chart])
@pytest.mark.parametrize(("labels", "series"), [
    ([], []),
    ([], [Series("a", [])]),
    (["2025"], []),
    (["2025", "2026"], [Series("a", [None, None])]),
])
def test_empty_charts_say_so_without_a_drawing(make, labels, series):
    figure = parse(make(title="Nothing yet", labels=labels, series=series))
    assert figure.find("figcaption").text == "Nothing yet"
    assert svg_of(figure) is None and figure.find("div/table") is None
    assert figure.find("p").text == "No figures yet."


def test_all_zero_still_draws_an_axis():
    figure = parse(bar_chart(title="t", labels=["a"], series=[Series("s", [0])], currency="EUR"))
    assert svg_of(figure) is not None


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart(title="t", labels=["a", "b", "c"], series=[Series("s", [1, 2])])


def test_an_unknown_currency_is_refused_up_front():
    with pytest.raises(ValueError, match="ISO 4217"):
        line_chart(title="t", labels=["a"], series=[Series("s", [1])], currency="EURO")


# --- labels never clipped ---------------------------------------------------------------------


def _extent_ok(figure):
    """Every text's estimated box lies inside the viewBox."""
    svg = svg_of(figure)
    _, _, width, height = map(float, svg.get("viewBox").split())
    for text in svg.iter(f"{SVG}text"):
        x, y, w = float(text.get("x")), float(text.get("y")), text_width(text.text)
        anchor = text.get("text-anchor", "start")
        if text.get("transform"):
            angle = math.radians(float(re.search(r"rotate\(-([\d.]+)", text.get("transform"))[1]))
            # text-anchor end, turned up-left: the text runs down-left from its anchor.
            left, bottom = x - w * math.cos(angle), y + w * math.sin(angle)
            assert left >= 0, text.text
            assert bottom <= height, text.text
            continue
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert left >= 0, text.text
        assert left + w <= width + 0.01, text.text
        assert 0 <= y <= height, text.text
    return True


def test_long_labels_turn_and_stay_inside():
    labels = ["Consumers of the northern valley", "Workers", "Photographers of the commons"]
    chart = bar_chart(title="t", labels=labels, currency="EUR",
                      series=[Series("Patronage", [123456789012, 5, 70000000])])
    figure = parse(chart)
    turned = [t for t in svg_of(figure).iter(f"{SVG}text") if t.get("transform")]
    assert len(turned) == 3
    # Shortened in the drawing, whole in the table.
    assert turned[0].text.endswith("…") and len(turned[0].text) <= 24
    assert table_rows(figure)[1][0] == labels[0]
    assert _extent_ok(figure)


@given(
    labels=st.lists(st.text(min_size=1, max_size=40,
                            alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"])),
                    min_size=1, max_size=30),
    data=st.data(),
    kind=st.sampled_from([line_chart, bar_chart, stacked_bar_chart]),
)
def test_no_label_leaves_the_drawing(labels, data, kind):
    values = data.draw(st.lists(st.none() | st.integers(-10**12, 10**12),
                                min_size=len(labels), max_size=len(labels)))
    chart = kind(title="t", labels=labels, series=[Series("s", values)], currency="EUR")
    if chart.empty:
        return
    figure = parse(chart)
    assert _extent_ok(figure)
    assert svg_of(figure).get("viewBox").startswith(f"0 0 {WIDTH} ")


# --- ticks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high", "ticks"), [
    (0, 1000, [0, 250, 500, 750, 1000]),
    (0, 97, [0, 25, 50, 75, 100]),
    (-200, 1900, [-1000, 0, 1000, 2000]),
    (-200, 1500, [-500, 0, 500, 1000, 1500]),
    (0, 0, [0, 1]),
    (0, 3, [0, 1, 2, 3]),
])
def test_nice_integer_ticks(low, high, ticks):
    assert nice_ticks(low, high, integer=True) == ticks


@given(st.integers(-10**15, 0), st.integers(0, 10**15))
def test_ticks_cover_the_values_with_whole_equal_steps(low, high):
    ticks = nice_ticks(low, high, integer=True)
    assert ticks[0] <= low and ticks[-1] >= high and 0 in ticks
    assert all(isinstance(t, int) for t in ticks)
    assert len({b - a for a, b in zip(ticks, ticks[1:], strict=False)}) == 1
    assert len(ticks) <= 11
