"""The report's SVG helpers on hand-computed values: ticks, scales, the panel grid, lines
broken at missing values, escaped text."""

import math
from datetime import date

import pytest

from stv_pipeline.exports.svg_chart import (
    Key,
    Scale,
    covering_ticks,
    fmt,
    legend,
    nice_ticks,
    panel_grid,
    segments,
    series,
    shows_years,
    text,
    time_scale,
    year_ticks,
)

NAN = float("nan")


def test_nice_ticks_are_round_steps_within_the_range():
    assert nice_ticks(0, 0.37) == [0, 0.1, 0.2, 0.3]  # 0.37 / 4 = 0.0925: steps of 0.1
    assert nice_ticks(0, 0.805) == [0, 0.25, 0.5, 0.75]  # 0.201: steps of 0.25
    assert nice_ticks(0, 1.1, 5) == [0, 0.25, 0.5, 0.75, 1.0]
    # 0.47 / 4 = 0.1175: steps of 0.2, from the first multiple above 0.15
    assert nice_ticks(0.15, 0.62) == [0.2, 0.4, 0.6]


def test_counts_get_whole_steps_and_a_scale_holding_every_value():
    # 90 / 4 = 22.5: steps of 25, and one above 75 to hold 90
    assert covering_ticks(90, 4, integer=True) == [0, 25, 50, 75, 100]
    assert covering_ticks(3, 4, integer=True) == [0, 1, 2, 3]  # not 0.75 persons
    assert covering_ticks(0.4, 4, integer=True) == [0, 1]
    assert covering_ticks(0, 4, integer=True) == [0, 1]
    assert covering_ticks(NAN, 4, integer=True) == [0, 1]  # nothing published: still a scale


def test_fmt_rounds_to_one_decimal():
    assert (fmt(12.0), fmt(12.345), fmt(-0.04), fmt(7.25)) == ("12", "12.3", "0", "7.2")


def test_scales_map_values_and_dates_onto_pixels():
    y = Scale(0, 0.5, 100, 20)  # upwards: 0 at the bottom (100), 50 % at the top (20)
    assert (y(0), y(0.25), y(0.5)) == (100, 60, 20)
    # a year of days with 15 days' margin either side (3 % of 364 is less): 394 days onto
    # 394 pixels, one a day
    x = time_scale(date(2018, 1, 1), date(2018, 12, 31), 0, 394)
    days = [date(2018, 1, 1), date(2018, 7, 1), date(2018, 12, 31)]
    assert [x(d.toordinal()) for d in days] == pytest.approx([15, 15 + 181, 379])
    assert year_ticks(x) == [date(2018, 1, 1), date(2019, 1, 1)]  # 1 Jan 2019 is day 380


def test_a_line_is_broken_at_every_missing_value_never_bridged():
    assert segments([(0, 1), (1, NAN), (2, 3), (3, 4)]) == [[(0, 1.0)], [(2, 3.0), (3, 4.0)]]
    assert segments([(0, None), (1, 2), (2, None), (3, None), (4, 5), (5, 6)]) == [
        [(1, 2.0)],
        [(4, 5.0), (5, 6.0)],
    ]
    assert segments([(0, NAN)]) == []
    identity = Scale(0, 1, 0, 1)
    drawn = series([(0, 1), (1, NAN), (2, 3), (3, 4)], identity, identity, "#1f5f8b")
    # the lone point a dot, the run of two a line: nothing drawn across the gap
    assert drawn.count("<polyline") == 1 and 'points="2,3 3,4"' in drawn
    assert drawn.count("<circle") == 1 and 'cx="0" cy="1"' in drawn
    marked = series([(0, 1), (1, NAN), (2, 3), (3, 4)], identity, identity, "#000", marker=1)
    assert marked.count("<polyline") == 1 and marked.count("<circle") == 3


def test_panel_grid_places_small_multiples_row_by_row():
    boxes, height = panel_grid(6, 5, panel_height=64, below=14)
    # (720 - 14) / 5 = 141.2 a column; 26 left of each panel for its values, 8 right of it
    assert (boxes[0].left, boxes[0].top, boxes[0].height) == (40, 14, 64)
    assert math.isclose(boxes[0].width, 141.2 - 34)
    assert math.isclose(boxes[1].left, 40 + 141.2)
    assert boxes[5].left == 40 and boxes[5].top == 14 + 64 + 14 + 14
    assert height == 2 * (14 + 64 + 14)


def test_years_stay_off_a_row_only_when_every_panel_of_it_has_one_below():
    assert all(shows_years(i, 6, 5) for i in range(6))  # 1-4 have nothing below
    assert [shows_years(i, 10, 5) for i in (0, 4, 5, 9)] == [False, False, True, True]
    # 98 panels: 19 full rows and three below; the 19th row (90-94) keeps its years
    assert not shows_years(89, 98, 5) and shows_years(90, 98, 5) and shows_years(97, 98, 5)


def test_text_is_escaped_and_a_legend_has_a_swatch_per_key():
    assert ">Ærø &amp; &lt;Co&gt;</text>" in text(0, 0, "Ærø & <Co>")
    row = legend([Key("Faktisk", "#1f5f8b", marker=True), Key("Foreløbige", "#eee", area=True)], 10)
    assert row.count("<text") == 2 and row.count("<rect") == 1 and row.count("<circle") == 1
