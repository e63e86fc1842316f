"""report.html: one self-contained page (inline SVG, no script, no network) for STAR.

It is drawn from the published tables, after disclosure control, so it shows nothing the
export files do not: a suppressed share is a gap in a line, not a point.
"""

from __future__ import annotations

import html
from datetime import date
from itertools import cycle

import pandas as pd

COLOURS = (
    "#1f5f8b",
    "#c0504d",
    "#4f8a3c",
    "#8064a2",
    "#d08b2c",
    "#3c9caa",
    "#7f7f7f",
    "#b5446e",
    "#2f4b7c",
    "#9aa83b",
)
WIDTH, HEIGHT, PAD, LEGEND = 640, 240, 44, 150


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    return start if high == low else start + (value - low) / (high - low) * (end - start)


def line_chart(
    series: dict[str, list[tuple[date, float | None, bool]]],
    y_label: str,
    y_max: float | None = None,
) -> str:
    """Lines over months; None breaks a line; True in the third place marks a provisional point
    (hollow). Returns an SVG element."""
    points = [(x, y) for values in series.values() for x, y, _ in values if y is not None]
    if not points:
        return "<p><em>No published figures.</em></p>"
    xs = sorted({x for x, _ in points})
    x_index = {x: i for i, x in enumerate(xs)}
    top = y_max if y_max is not None else max(y for _, y in points) * 1.1 or 1
    right = WIDTH - LEGEND  # the legend has its own column, clear of the lines
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{right}" y2="{HEIGHT - PAD}" stroke="#444"/>',
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>',
    ]
    for tick in (0, top / 2, top):
        y = _scale(tick, 0, top, HEIGHT - PAD, 10)
        parts.append(f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:.2g}</text>')
    for x in xs[:: max(1, len(xs) // 6)]:
        px = _scale(x_index[x], 0, len(xs) - 1, PAD, right)
        parts.append(
            f'<text x="{px:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{x:%Y-%m}</text>'
        )
    parts.append(
        f'<text x="12" y="{HEIGHT / 2}" transform="rotate(-90 12 {HEIGHT / 2})" '
        f'text-anchor="middle">{html.escape(y_label)}</text>'
    )
    legend_y = 18
    for (name, values), colour in zip(series.items(), cycle(COLOURS)):
        segment: list[str] = []
        for x, y, provisional in values + [(None, None, False)]:
            if y is None or x is None:
                if len(segment) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" '
                        f'points="{" ".join(segment)}"/>'
                    )
                elif segment:  # a published point between two gaps has no line: a dot
                    cx, cy = segment[0].split(",")
                    parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"/>')
                segment = []
                continue
            px = _scale(x_index[x], 0, len(xs) - 1, PAD, right)
            py = _scale(y, 0, top, HEIGHT - PAD, 10)
            segment.append(f"{px:.1f},{py:.1f}")
            if provisional:
                parts.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="white" stroke="{colour}"/>'
                )
        parts.append(
            f'<text x="{WIDTH - 12}" y="{legend_y}" text-anchor="end" '
            f'fill="{colour}">{html.escape(name)}</text>'
        )
        legend_y += 14
    parts.append("</svg>")
    return "".join(parts)


def bar_pairs(
    rows: list[tuple[str, float | None, float | None]], labels=("baseline", "endline")
) -> str:
    """Two bars per row (e.g. baseline and endline share), as an SVG element."""
    height = 24 * len(rows) + 30
    top = max([v for _, a, b in rows for v in (a, b) if v is not None] or [1]) * 1.1
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" class="chart">']
    for i, (name, a, b) in enumerate(rows):
        y = 20 + i * 24
        parts.append(f'<text x="150" y="{y + 12}" text-anchor="end">{html.escape(name)}</text>')
        for j, (value, colour) in enumerate(((a, COLOURS[6]), (b, COLOURS[0]))):
            if value is None:
                continue
            w = _scale(value, 0, top, 0, WIDTH - 220)
            parts.append(
                f'<rect x="156" y="{y + j * 9}" width="{w:.1f}" height="8" '
                f'fill="{colour}"/><text x="{160 + w:.1f}" y="{y + 8 + j * 9}">'
                f"{value:.1%}</text>"
            )
    parts.append(
        f'<text x="156" y="12" fill="{COLOURS[6]}">{labels[0]}</text>'
        f'<text x="240" y="12" fill="{COLOURS[0]}">{labels[1]}</text></svg>'
    )
    return "".join(parts)


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'..' if pd.isna(v) else html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _optional(value) -> float | None:
    return None if pd.isna(value) else float(value)


def provider_series(
    by_provider: pd.DataFrame, measure: str = "active_company_placements"
) -> dict[int, dict[str, list[tuple[date, float | None, bool]]]]:
    """Per municipality with providers: the jobcentre's own count and each provider's tally
    over the extract dates, as line_chart series (the tallies beside the count, not added)."""
    rows = by_provider[by_provider["measure"] == measure].sort_values("extract_date")
    charts = {}
    for code, municipal in rows.groupby("municipality_code"):
        dates = sorted({pd.Timestamp(d).date() for d in municipal["extract_date"]})
        own = {
            pd.Timestamp(r.extract_date).date(): _optional(r.jobcentre_count)
            for r in municipal.itertuples()
        }
        series = {"jobcentre": [(d, own[d], False) for d in dates]}
        for provider, tallies in municipal.groupby("provider"):
            tally = {
                pd.Timestamp(r.extract_date).date(): _optional(r.provider_count)
                for r in tallies.itertuples()
            }
            series[str(provider)] = [(d, tally.get(d), False) for d in dates]
        charts[int(code)] = series
    return charts


def build_report(tables: dict[str, pd.DataFrame], run_id: str, names: dict[int, str]) -> str:
    """The page, from the published frames of the export (keyed by table name)."""

    def name(code) -> str:
        return f"{names.get(int(code), code)} ({int(code)})"

    success = tables["success_criteria_monthly"]
    alle = success[success["target_group"] == "alle"].sort_values("month")
    shares = {
        name(code): [
            (pd.Timestamp(r.month).date(), _optional(r.share_either), bool(r.provisional))
            for r in rows.itertuples()
        ]
        for code, rows in alle.groupby("municipality_code")
    }

    be = tables["baseline_endline"]
    be_rows = [
        (
            name(r.municipality_code) if r.scope == "municipality" else r.scope,
            _optional(r.share_either_baseline),
            _optional(r.share_either_endline),
        )
        for r in be[(be["target_group"] == "alle") & (be["scope"] != "did")].itertuples()
    ]

    goals = tables["goal_attainment"]
    placements = goals[goals["measure"] == "active_company_placements"].sort_values("extract_date")
    goal_charts = "".join(
        f"<h3>{html.escape(name(code))}</h3>"
        + line_chart(
            {
                "actual": [
                    (pd.Timestamp(r.extract_date).date(), _optional(r.actual), False)
                    for r in rows.itertuples()
                ],
                "target": [
                    (pd.Timestamp(r.extract_date).date(), _optional(r.target), False)
                    for r in rows.itertuples()
                ],
            },
            "active company placements",
        )
        for code, rows in placements.groupby("municipality_code")
    )

    provider_charts = (
        "".join(
            f"<h3>{html.escape(name(code))}</h3>" + line_chart(series, "active company placements")
            for code, series in provider_series(tables["monitoring_by_provider"]).items()
        )
        or "<p><em>No municipality delivered providers' tallies.</em></p>"
    )

    revisions = tables["registration_revisions"]
    population = revisions[
        (revisions["measure"] == "population") & (revisions["target_group"] == "alle")
    ].dropna(subset=["value"])
    newest = population["vintage"].max()
    finals = population[population["vintage"] == newest][["municipality_code", "month", "value"]]
    joined = population.merge(finals, on=["municipality_code", "month"], suffixes=("", "_final"))
    joined = joined[(joined["vintage"] != newest) & (joined["value_final"] > 0)]
    curve = joined.groupby("lag_months")[["value", "value_final"]].sum()
    revision_rows = [
        (f"lag {int(lag)} month(s)", None, row.value / row.value_final)
        for lag, row in curve.head(12).iterrows()
    ]

    cases = tables["case_selection"][
        [
            "municipality_code",
            "success_change",
            "fidelity_change_management",
            "fidelity_change_staff",
            "rank_success",
            "rank_fidelity",
            "selected",
            "reason",
        ]
    ]
    sections = [
        (
            "Success shares over time",
            "Share of each jobcentre's target-group citizens with a company-oriented activity "
            "and/or ordinary paid hours (all target groups pooled). Hollow points are provisional "
            "months; gaps are suppressed figures.",
            line_chart(shares, "share_either", y_max=1.0),
        ),
        (
            "Baseline versus endline",
            "share_either in the baseline and endline windows, per jobcentre and pooled.",
            bar_pairs(be_rows),
        ),
        (
            "Active company placements against the target trajectory",
            "The municipalities' own counts and the month-linear target (the providers' "
            "tallies added up only where a jobcentre delivered no count of its own).",
            goal_charts,
        ),
        (
            "Providers beside the jobcentre's count",
            "Each provider's own tally of active company placements next to the jobcentre's "
            "count. The tallies are a breakdown, not added to the count, and need not add up "
            "to it; gaps in the jobcentre's line are dates it delivered no count of its own.",
            provider_charts,
        ),
        (
            "Revision curve",
            "How much of a month's final population an earlier register extract had already "
            "seen, by months after the month ended (from months final in the newest extract).",
            bar_pairs(revision_rows, labels=("", "share of final value seen"))
            if revision_rows
            else "<p><em>Only one register extract: no revisions yet.</em></p>",
        ),
        (
            "Case selection",
            "Every STV jobcentre, its figures and why it was or was not selected.",
            _table(cases),
        ),
    ]
    body = "".join(
        f"<section><h2>{html.escape(t)}</h2><p>{html.escape(d)}</p>{c}</section>"
        for t, d, c in sections
    )
    return f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>STV - run {html.escape(run_id[:8])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
svg.chart {{ width: 100%; height: auto; font-size: 10px; background: #fafafa; }}
table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
section {{ margin-bottom: 2.5rem; }}
</style></head><body>
<h1>STV evaluation - metric report</h1>
<p>Run {html.escape(run_id)}. Figures after disclosure control: counts of 1-4 persons and
figures that would reveal them are not shown.</p>
{body}
</body></html>
"""
