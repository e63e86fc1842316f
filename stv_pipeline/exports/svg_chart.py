"""How the report's charts are drawn: inline SVG written by hand, small pure functions.

Coordinates are in a 720 wide viewBox (ten inches at 72 to the inch, so the font sizes read as
points) and rounded to one decimal; the page scales the chart to its width. Nothing carries an
id or a date, so the same data writes the same bytes. What a chart shows stays in report.py.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720.0
GRID_COLOUR, FRAME_COLOUR, TEXT_COLOUR = "#dddddd", "#555555", "#222222"
# Small multiples: room left of the first column for a unit, and around each panel for its
# values, title and years.
UNIT_MARGIN, VALUE_GUTTER, PANEL_PAD, TITLE_ROOM, YEAR_ROOM = 14.0, 26.0, 8.0, 14.0, 14.0
# dash patterns for "--", ":" and "-." of a line at width 1
DASHES = {"--": "4 2", ":": "1 2", "-.": "4 2 1 2"}


def fmt(value: float) -> str:
    """A coordinate with one decimal at most: '12', '12.5', never '-0'."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_step(span: float, count: int = 4, integer: bool = False) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten; whole when `integer`) that cuts
    `span` into at most about `count` parts."""
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    steps = [m * power for m in (1, 2, 2.5, 5, 10)]
    if integer:
        steps = [s for s in steps if s >= 1 and float(s).is_integer()] or [1]
    return next((s for s in steps if s >= raw * (1 - 1e-9)), steps[-1])


def nice_ticks(low: float, high: float, count: int = 4, integer: bool = False) -> list[float]:
    """The multiples of a nice step from `low` up to `high`."""
    if not high > low:
        return [low]
    step = nice_step(high - low, count, integer)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def covering_ticks(high: float, count: int = 4, integer: bool = False) -> list[float]:
    """Nice ticks from 0 to the first at or above `high`: a scale that holds every value."""
    if not high > 0:  # zeros only, or nothing published (NaN)
        return [0, 1]
    step = nice_step(high, count, integer)
    return [round(i * step, 10) for i in range(max(1, math.ceil(high / step - 1e-9)) + 1)]


@dataclass(frozen=True)
class Scale:
    """Values from `low` to `high` onto pixels from `start` to `end` (a vertical scale runs
    upwards: `end` above `start`, a smaller number)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def time_scale(first: date, last: date, start: float, end: float) -> Scale:
    """Days onto pixels, with a margin so the first and last points sit inside the frame."""
    low, high = first.toordinal(), last.toordinal()
    margin = max((high - low) * 0.03, 15)
    return Scale(low - margin, high + margin, start, end)


def year_ticks(scale: Scale) -> list[date]:
    """The 1 Januaries within a time scale."""
    first, last = date.fromordinal(math.ceil(scale.low)), date.fromordinal(int(scale.high))
    years = [date(y, 1, 1) for y in range(first.year, last.year + 1)]
    return [d for d in years if scale.low <= d.toordinal() <= scale.high]


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def segments(points: Iterable[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """The runs of points between missing values: a line is broken where a value is
    suppressed, never drawn across it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if missing(y):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, float(y)))
    return [run for run in runs if run]


@dataclass(frozen=True)
class Box:
    """A plot area in the viewBox."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def panel_grid(
    count: int, columns: int, panel_height: float = 64.0, below: float = YEAR_ROOM
) -> tuple[list[Box], float]:
    """The plot areas of `count` small multiples, row by row, and the height they take; each
    has its title above it, its values left of it and `below` room under it."""
    cell_width = (WIDTH - UNIT_MARGIN) / columns
    cell_height = TITLE_ROOM + panel_height + below
    boxes = [
        Box(
            UNIT_MARGIN + (i % columns) * cell_width + VALUE_GUTTER,
            (i // columns) * cell_height + TITLE_ROOM,
            cell_width - VALUE_GUTTER - PANEL_PAD,
            panel_height,
        )
        for i in range(count)
    ]
    return boxes, -(-count // columns) * cell_height


def shows_years(index: int, count: int, columns: int) -> bool:
    """Years stay off a row only when every panel of it has one below: a reader of a panel
    beside an empty place would otherwise find none under it."""
    return (index // columns + 2) * columns > count


def text(
    x: float,
    y: float,
    content: object,
    size: float = 7,
    anchor: str = "middle",
    colour: str = TEXT_COLOUR,
    rotate: bool = False,
) -> str:
    turn = f' transform="rotate(-90 {fmt(x)} {fmt(y)})"' if rotate else ""
    return (
        f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{fmt(size)}" text-anchor="{anchor}" '
        f'fill="{colour}"{turn}>{html.escape(str(content))}</text>'
    )


def line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 0.5) -> str:
    return (
        f'<line x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" y2="{fmt(y2)}" '
        f'stroke="{colour}" stroke-width="{fmt(width)}"/>'
    )


def rect(left: float, top: float, width: float, height: float, fill: str, stroke: str = "") -> str:
    outline = f' stroke="{stroke}" stroke-width="0.6"' if stroke else ""
    return (
        f'<rect x="{fmt(left)}" y="{fmt(top)}" width="{fmt(width)}" height="{fmt(height)}" '
        f'fill="{fill}"{outline}/>'
    )


def frame(box: Box) -> str:
    return rect(box.left, box.top, box.width, box.height, "none", FRAME_COLOUR)


def circle(x: float, y: float, radius: float, colour: str, hollow: bool = False) -> str:
    fill = "#ffffff" if hollow else colour
    return (
        f'<circle cx="{fmt(x)}" cy="{fmt(y)}" r="{fmt(radius)}" fill="{fill}" '
        f'stroke="{colour}" stroke-width="0.8"/>'
    )


def series(
    points: Sequence[tuple[float, float | None]],
    x: Scale,
    y: Scale,
    colour: str,
    width: float = 1.3,
    dash: str = "",
    marker: float = 0.0,
) -> str:
    """A line through the points, one <polyline> per run between missing values; a run of
    one point is a dot, as a line needs two. `marker` is the radius of a dot on every point."""
    dashes = f' stroke-dasharray="{DASHES[dash]}"' if dash else ""
    parts = []
    for run in segments(points):
        if len(run) == 1 and not marker:
            parts.append(circle(x(run[0][0]), y(run[0][1]), width, colour))
        elif len(run) > 1:
            coords = " ".join(f"{fmt(x(a))},{fmt(y(b))}" for a, b in run)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="{fmt(width)}"{dashes} stroke-linejoin="round"/>'
            )
        if marker:
            parts += [circle(x(a), y(b), marker, colour) for a, b in run]
    return "".join(parts)


def panel_axes(
    box: Box,
    x: Scale,
    y: Scale,
    ticks: Sequence[float],
    tick_label: Callable[[float], str],
    title: str,
    title_colour: str = TEXT_COLOUR,
    years: bool = True,
    values: bool = True,
) -> str:
    """A panel's frame, title, grid lines at the ticks (labelled left of it when `values`)
    and the 1 Januaries (the year under each when `years`)."""
    parts = [text(box.left + box.width / 2, box.top - 4, title, 8, colour=title_colour)]
    for tick in ticks:
        parts.append(line(box.left, y(tick), box.right, y(tick), GRID_COLOUR))
        if values:
            parts.append(text(box.left - 3, y(tick) + 2.5, tick_label(tick), anchor="end"))
    for year in year_ticks(x):
        at = x(year.toordinal())
        parts.append(line(at, box.bottom, at, box.bottom + 3, FRAME_COLOUR))
        if years:
            parts.append(text(at, box.bottom + 11, year.year))
    parts.append(frame(box))
    return "".join(parts)


@dataclass(frozen=True)
class Key:
    """A legend entry: a line (dashed, with a dot) or a filled area, and its text."""

    label: str
    colour: str
    dash: str = ""
    marker: bool = False
    area: bool = False


def key_width(key: Key, size: float) -> float:
    # an estimate of the text's width: the SVG knows no text metrics before it is shown
    return 20 + len(key.label) * size * 0.62


def swatch(key: Key, x: float, y: float, size: float) -> str:
    """The key's sample at (x, y), the middle of its text line, and the text after it."""
    if key.area:
        sample = rect(x, y - 4, 14, 8, key.colour)
    else:
        dashes = f' stroke-dasharray="{DASHES[key.dash]}"' if key.dash else ""
        sample = (
            f'<line x1="{fmt(x)}" y1="{fmt(y)}" x2="{fmt(x + 14)}" y2="{fmt(y)}" '
            f'stroke="{key.colour}" stroke-width="1.3"{dashes}/>'
        )
        if key.marker:
            sample += circle(x + 7, y, 1.2, key.colour)
    return sample + text(x + 18, y + size * 0.35, key.label, size, anchor="start")


def legend(keys: Sequence[Key], y: float, size: float = 8) -> str:
    """The keys in a row centred under a chart, at height `y`."""
    gap = 14
    total = sum(key_width(k, size) for k in keys) + gap * (len(keys) - 1)
    x, parts = (WIDTH - total) / 2, []
    for key in keys:
        parts.append(swatch(key, x, y, size))
        x += key_width(key, size) + gap
    return "".join(parts)


def document(height: float, body: str, label: str) -> str:
    """The inline <svg>: page-wide by its class and viewBox, no fixed size."""
    return (
        f'<svg class="chart" viewBox="0 0 {fmt(WIDTH)} {fmt(height)}" role="img" '
        f'aria-label="{html.escape(label)}">{body}</svg>'
    )
