"""SPC charts: run or XmR figures from monthly values, and their accessible, CSP-safe SVG."""
import dataclasses
import xml.etree.ElementTree as ET

import pytest

from inclusive_access.reporting import charts, stats

SVG = "{http://www.w3.org/2000/svg}"


def months(n, start_year=2024):
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def spike_series():
    """20 months alternating 10 and 12 but 30 in the 11th: mean 12, limits 12 +/- 2.66 x 2, only the spike special.

    Moving ranges are seventeen 2s and two 18s; the 18s reach 3.267 x 70/19, so screening leaves a mean range of 2.
    """
    values = [10.0 if i % 2 == 0 else 12.0 for i in range(20)]
    values[10] = 30.0
    return months(20), values


def render(chart, title="Days to first contact", description="Median days, by month.", y_label="days",
           chart_id="wait"):
    markup = charts.svg(chart, title, description, y_label, chart_id)
    return markup, ET.fromstring(str(markup))  # noqa: S314 -- our own output, not untrusted input


@pytest.mark.parametrize(("values", "median"), [
    ([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([5, None, 1], 3), ([7], 7),
])
def test_fewer_than_15_months_give_a_run_chart_with_a_median(values, median):
    chart = charts.spc(months(len(values)), values, improvement="increase", target=2)
    assert (chart.mode, chart.centre, chart.lower, chart.upper, chart.assurance) == ("run", median, None, None, None)
    assert [p.point_type for p in chart.points] == ["common_cause" if v is not None else None for v in values]


def test_the_15_month_threshold_counts_months_with_data():
    values = list(range(1, 16))
    assert charts.spc(months(15), values).mode == "xmr"
    values[3] = None
    assert charts.spc(months(15), values).mode == "run"


def test_15_months_or_more_take_limits_and_point_types_from_stats_xmr():
    labels, values = spike_series()
    chart = charts.spc(labels, values, improvement="decrease", target=20)
    expected = stats.xmr(values, screen_outliers=True, improvement="decrease", target=20)
    assert chart.mode == "xmr"
    assert (chart.centre, chart.lower, chart.upper) == pytest.approx((12, 12 - 5.32, 12 + 5.32))
    assert (chart.centre, chart.lower, chart.upper) == (expected["mean"], expected["lower"], expected["upper"])
    assert [p.point_type for p in chart.points] == expected["point_types"]
    assert chart.assurance == expected["assurance"]
    assert [p.label for p in chart.points] == labels


@pytest.mark.parametrize(("improvement", "point_type"), [
    ("decrease", "special_cause_concern"), ("increase", "special_cause_improvement"),
    ("neither", "special_cause_neither"),
])
def test_a_point_beyond_the_upper_limit_takes_its_making_data_count_colour(improvement, point_type):
    labels, values = spike_series()
    chart = charts.spc(labels, values, improvement=improvement)
    assert values[10] > chart.upper
    assert [p.label for p in chart.points if p.point_type != "common_cause"] == [labels[10]]
    _, root = render(chart)
    fills = [c.get("fill") for c in root.iter(f"{SVG}circle")]
    assert fills[10] == charts.COLOURS[point_type]
    assert fills[10] == {"decrease": "#ED8B00", "increase": "#005EB8", "neither": "#330072"}[improvement]
    assert set(fills[:10] + fills[11:]) == {"#768692"}


def test_missing_months_break_the_line_and_stay_out_of_the_calculation():
    labels, values = spike_series()
    with_gaps = [*values[:5], None, None, *values[5:]]
    gap_labels = months(len(with_gaps))
    chart = charts.spc(gap_labels, with_gaps, improvement="decrease")
    expected = stats.xmr(values, improvement="decrease")
    assert (chart.centre, chart.lower, chart.upper) == (expected["mean"], expected["lower"], expected["upper"])
    assert [p.point_type for p in chart.points if p.value is not None] == expected["point_types"]
    assert (chart.points[5].value, chart.points[5].point_type) == (None, None)
    _, root = render(chart)
    paths = [p for p in root.iter(f"{SVG}path") if p.get("class") == "app-spc-chart__values"]
    assert [p.get("d").count("L") + 1 for p in paths] == [5, 20 - 5]
    circle_labels = [c.find(f"{SVG}title").text.split(":")[0] for c in root.iter(f"{SVG}circle")]
    assert len(circle_labels) == 20
    assert gap_labels[5] not in circle_labels
    assert gap_labels[6] not in circle_labels


def test_a_lone_month_between_gaps_gets_a_marker_but_no_line():
    chart = charts.spc(months(5), [1, None, 2, None, 3])
    _, root = render(chart)
    assert not [p for p in root.iter(f"{SVG}path") if p.get("class") == "app-spc-chart__values"]
    assert len(list(root.iter(f"{SVG}circle"))) == 3


def test_the_svg_is_labelled_by_its_title_and_desc_and_scales():
    _, root = render(charts.spc(*spike_series()), chart_id="dna-rate")
    ids = root.get("aria-labelledby").split()
    assert ids == ["dna-rate-title", "dna-rate-desc"]
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [by_id[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    assert (root[0].tag, root[0].text) == (f"{SVG}title", "Days to first contact")
    assert (root.get("role"), root.get("focusable"), root.get("width")) == ("img", "false", "100%")
    assert root.get("viewBox") == "0 0 640 300"
    assert root.get("height") is None


def test_the_description_states_the_centre_limits_and_special_cause_months():
    labels, values = spike_series()
    chart = charts.spc(labels, values, improvement="decrease", target=20)
    _, root = render(chart)
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("Median days, by month. Y axis: days.")
    assert "Mean 12; process limits 6.68 to 17.32." in desc
    assert f"Special cause concern: {labels[10]} (30)." in desc
    assert "Target 20" in desc


def test_a_run_chart_description_says_why_there_are_no_limits():
    chart = charts.spc(months(4), [4, None, 3, 2])
    _, root = render(chart)
    desc = root.find(f"{SVG}desc").text
    assert "median 3;" in desc
    assert "no process limits or special cause" in desc
    assert f"No data for {months(4)[1]}." in desc
    assert not [el for el in root.iter(f"{SVG}line") if el.get("class") == "app-spc-chart__limit"]


def test_lines_centre_solid_limits_dashed_target_red():
    _, root = render(charts.spc(*spike_series(), improvement="decrease", target=20))
    lines = {}
    for el in root.iter(f"{SVG}line"):
        lines.setdefault(el.get("class"), []).append(el)
    assert len(lines["app-spc-chart__centre"]) == 1
    assert lines["app-spc-chart__centre"][0].get("stroke-dasharray") is None
    assert len(lines["app-spc-chart__limit"]) == 2
    assert all(el.get("stroke-dasharray") for el in lines["app-spc-chart__limit"])
    (target,) = lines["app-spc-chart__target"]
    assert target.get("stroke") == "#DA291C"
    assert target.get("stroke-dasharray")


def test_text_is_escaped():
    hostile = "<script>alert('x')</script>"
    chart = charts.spc([hostile, "2026-02"], [1, 2])
    markup, root = render(chart, title=hostile, description=hostile, y_label=hostile)
    assert "<script" not in str(markup)
    assert "&lt;script&gt;" in str(markup)
    assert not list(root.iter(f"{SVG}script"))
    assert root.find(f"{SVG}title").text == hostile
    assert hostile in [t.text for t in root.iter(f"{SVG}text")]


def test_no_style_script_or_focus_targets_for_the_csp_and_the_keyboard():
    markup, root = render(charts.spc(*spike_series(), target=15))
    assert "style=" not in str(markup)
    for el in root.iter():
        assert el.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}a", f"{SVG}foreignObject")
        assert "style" not in el.attrib
        assert "tabindex" not in el.attrib
        assert not [name for name in el.attrib if name.startswith("on")]


def test_month_labels_are_thinned_and_keep_the_latest():
    labels = months(36)
    _, root = render(charts.spc(labels, list(range(36))))
    shown = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "app-spc-chart__month"]
    assert len(shown) <= charts.MAX_X_LABELS
    assert shown[-1] == labels[-1]


def test_the_chart_is_frozen_and_reports_its_latest_month():
    chart = charts.spc(months(3), [1, 2, None])
    assert chart.latest == charts.Point("2024-02", 2.0, "common_cause")
    assert charts.spc(months(2), [None, None]).latest is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        chart.mode = "xmr"


def test_a_chart_with_no_data_still_draws_axes():
    chart = charts.spc(months(3), [None, None, None])
    assert chart.centre is None
    _, root = render(chart)
    assert root.find(f"{SVG}desc").text.endswith("No month has data.")
    assert not list(root.iter(f"{SVG}circle"))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one label per value"):
        charts.spc(months(2), [1])
    with pytest.raises(ValueError, match="improvement"):
        charts.spc(months(2), [1, 2], improvement="up")
    with pytest.raises(ValueError, match="chart_id"):
        charts.svg(charts.spc(months(2), [1, 2]), "t", "d", "days", 'x" onload="alert(1)')
