"""Monthly SPC charts for the equity dashboard: XmR or run charts, as inline SVG in "Making Data Count" style."""
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from inclusive_access.reporting import stats

#: DOMAIN.md: with fewer than 15 months of data draw a plain run chart (median line) instead of limits
MIN_XMR_POINTS = 15
#: Making Data Count colours (NHS identity palette): each point type's marker fill
COLOURS = {"common_cause": "#768692", "special_cause_improvement": "#005EB8",
           "special_cause_concern": "#ED8B00", "special_cause_neither": "#330072"}
TARGET_COLOUR = "#DA291C"
POINT_WORDS = {"special_cause_concern": "special cause concern",
               "special_cause_improvement": "special cause improvement",
               "special_cause_neither": "special cause variation", "common_cause": "common cause"}
ASSURANCE_WORDS = {"pass": "the process should consistently meet the target",
                   "fail": "the process will consistently miss the target unless it changes",
                   "hit_or_miss": "the process will hit and miss the target by chance"}
# viewBox geometry; the SVG scales to its container's width
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 300, 64, 16, 12, 44
MAX_X_LABELS = 8
_ID = re.compile(r"[A-Za-z][\w-]*")


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    #: a stats.xmr point type; "common_cause" for every measured month in run mode; None for a month with no data
    point_type: str | None


@dataclass(frozen=True)
class Chart:
    mode: str  #: "xmr" (limits and special cause) or "run" (median line only)
    centre: float | None  #: the mean in xmr mode, the median in run mode; None when no month has data
    lower: float | None  #: process limits; None in run mode
    upper: float | None
    target: float | None
    improvement: str
    points: tuple[Point, ...]
    assurance: str | None  #: stats.xmr's "pass" / "fail" / "hit_or_miss"; None in run mode or without a target

    @property
    def latest(self) -> Point | None:
        """The last month that has data (governance asks whether it is a special-cause concern)."""
        return next((p for p in reversed(self.points) if p.value is not None), None)


def spc(labels: Sequence[str], values: Sequence[float | None], improvement: str = "neither",
        target: float | None = None, screen_outliers: bool = True) -> Chart:
    """An SPC chart of monthly values: an XmR chart from 15 months with data, a run chart (median) below that.

    None marks a month with no data: a gap, not a zero. The statistics use the measured months only, in order, so a
    moving range spans a gap. XmR limits, point types and assurance come from stats.xmr (Making Data Count /
    NHSRplotthedots rules). A run chart has no limits, no special cause and no assurance (DOMAIN.md "Run charts").
    """
    if len(labels) != len(values):
        raise ValueError(f"one label per value is needed, got {len(labels)} labels and {len(values)} values")
    if improvement not in stats.IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {stats.IMPROVEMENTS}, got {improvement!r}")
    measured = [float(v) for v in values if v is not None]
    lower = upper = assurance = None
    if len(measured) >= MIN_XMR_POINTS:
        mode = "xmr"
        result = stats.xmr(measured, screen_outliers=screen_outliers, improvement=improvement, target=target)
        centre, lower, upper, assurance = result["mean"], result["lower"], result["upper"], result["assurance"]
        types = iter(result["point_types"])
    else:
        mode = "run"
        centre = statistics.median(measured) if measured else None
        types = iter(["common_cause"] * len(measured))
    points = tuple(Point(str(label), None if v is None else float(v), None if v is None else next(types))
                   for label, v in zip(labels, values, strict=True))
    return Chart(mode, centre, lower, upper, target, improvement, points, assurance)


def from_first_data(labels: Sequence[str], values: Sequence[float | None]) -> tuple[list[str], list[float | None]]:
    """Drop the months before the first with data, so a chart starts where its series does (keeps one month)."""
    start = next((i for i, v in enumerate(values) if v is not None), max(len(values) - 1, 0))
    return list(labels[start:]), list(values[start:])


def _fmt(v: float) -> str:
    return f"{round(v, 2) + 0.0:,g}"


def summary(chart: Chart, y_label: str) -> str:
    """The chart's finding in words: centre line, limits, special-cause months, target and gaps."""
    measured = [p for p in chart.points if p.value is not None]
    if not measured:
        return "No month has data."
    words = [f"Y axis: {y_label}."]
    if chart.mode == "run":
        words.append(f"Run chart of {len(measured)} months with data, median {_fmt(chart.centre)}; fewer than "
                     f"{MIN_XMR_POINTS} months, so no process limits or special cause are shown.")
    else:
        words.append(f"XmR chart of {len(measured)} months with data. Mean {_fmt(chart.centre)}; process limits "
                     f"{_fmt(chart.lower)} to {_fmt(chart.upper)}.")
        special = False
        for kind in ("special_cause_concern", "special_cause_improvement", "special_cause_neither"):
            months = [f"{p.label} ({_fmt(p.value)})" for p in measured if p.point_type == kind]
            if months:
                special = True
                words.append(f"{POINT_WORDS[kind].capitalize()}: {', '.join(months)}.")
        if not special:
            words.append("No special cause variation: every month is common cause.")
    if chart.target is not None:
        assured = f": {ASSURANCE_WORDS[chart.assurance]}" if chart.assurance else ""
        words.append(f"Target {_fmt(chart.target)}{assured}.")
    missing = [p.label for p in chart.points if p.value is None]
    if missing:
        words.append(f"No data for {', '.join(missing)}.")
    return " ".join(words)


def _ticks(lo: float, hi: float) -> list[float]:
    """About five round y ticks spanning [lo, hi]."""
    raw = (hi - lo) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [k * step for k in range(math.floor(lo / step), math.ceil(hi / step) + 1)]


def _n(v: float) -> str:
    return f"{v:.1f}"


def svg(chart: Chart, title: str, description: str, y_label: str, chart_id: str) -> Markup:
    """An inline, scalable SVG of the chart: no style attributes (CSP style-src 'self'), no script, not focusable.

    The <title> and <desc> (ids "<chart_id>-title", "<chart_id>-desc") name it for assistive technology; the desc is
    the caller's description followed by summary(), so the finding does not depend on seeing the picture. Every
    piece of text goes through Markup.format, which escapes it.
    """
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a plain HTML id (a letter, then letters, digits, _ or -), got {chart_id!r}")
    lines = [v for v in (chart.centre, chart.lower, chart.upper, chart.target) if v is not None]
    data = [p.value for p in chart.points if p.value is not None] + lines
    lo, hi = (min(data), max(data)) if data else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    ticks = _ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    plot_w, plot_h, count = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM, max(len(chart.points), 1)

    def x(i: int) -> str:
        return _n(LEFT + plot_w * (i + 0.5) / count)

    def y(v: float) -> str:
        return _n(TOP + plot_h * (hi - v) / (hi - lo))

    desc = f"{description} {summary(chart, y_label)}".strip()
    out = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="app-spc-chart" viewBox="0 0 {} {}" width="100%" '
                  'role="img" aria-labelledby="{}-title {}-desc" focusable="false" font-size="12">'
                  '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>')
           .format(WIDTH, HEIGHT, chart_id, chart_id, chart_id, title, chart_id, desc)]
    bottom, right = _n(TOP + plot_h), _n(LEFT + plot_w)
    out.append(Markup('<g class="app-spc-chart__axes" stroke="#425563" fill="#425563">'
                      '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}"/><line x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>')
               .format(l=LEFT, t=TOP, b=bottom, r=right))
    for tick in ticks:
        out.append(Markup('<line x1="{}" y1="{y}" x2="{}" y2="{y}"/><text x="{}" y="{y}" stroke="none" '
                          'text-anchor="end" dominant-baseline="middle">{}</text>')
                   .format(LEFT - 5, LEFT, LEFT - 8, _fmt(tick), y=y(tick)))
    step = math.ceil(len(chart.points) / MAX_X_LABELS) or 1
    for i, point in enumerate(chart.points):
        if (len(chart.points) - 1 - i) % step == 0:  # thin from the latest month back, so it is always labelled
            out.append(Markup('<text class="app-spc-chart__month" x="{}" y="{}" stroke="none" text-anchor="middle">'
                              '{}</text>').format(x(i), _n(TOP + plot_h + 18), point.label))
    out.append(Markup('<text x="{}" y="14" stroke="none" text-anchor="middle" transform="rotate(-90)">{}</text></g>')
               .format(_n(-(TOP + plot_h / 2)), y_label))
    drawn = [("centre", chart.centre, "#231F20", None), ("limit", chart.lower, "#425563", "6 4"),
             ("limit", chart.upper, "#425563", "6 4"), ("target", chart.target, TARGET_COLOUR, "2 3")]
    for kind, value, colour, dashes in drawn:
        if value is not None:
            dash = Markup(' stroke-dasharray="{}"').format(dashes) if dashes else ""
            out.append(Markup('<line class="app-spc-chart__{}" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" '
                              'stroke-width="1.5"{}/>').format(kind, LEFT, right, colour, dash, y=y(value)))
    segments, current = [], []
    for i, point in enumerate([*chart.points, None]):  # the sentinel closes the last segment
        if point is not None and point.value is not None:
            current.append(f"{x(i)},{y(point.value)}")
        elif current:
            segments.append(current)
            current = []
    for segment in segments:
        if len(segment) > 1:
            out.append(Markup('<path class="app-spc-chart__values" d="M{}" fill="none" stroke="{}" stroke-width="2"/>')
                       .format(" L".join(segment), COLOURS["common_cause"]))
    for i, point in enumerate(chart.points):
        if point.value is not None:
            out.append(Markup('<circle class="app-spc-chart__point app-spc-chart__point--{}" cx="{}" cy="{}" r="4" '
                              'fill="{}"><title>{}: {} ({})</title></circle>')
                       .format(point.point_type, x(i), y(point.value), COLOURS[point.point_type], point.label,
                               _fmt(point.value), POINT_WORDS[point.point_type]))
    out.append(Markup("</svg>"))
    return Markup("").join(out)
