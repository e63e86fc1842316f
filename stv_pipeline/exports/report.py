"""report.html: one self-contained page in Danish for STAR (inline SVG, no script, no network).

It is drawn from the published tables, after disclosure control, so it shows nothing the
export files do not: a suppressed share is a gap in a line, not a point. The chart functions
here say what each chart shows; svg_chart writes the SVG by hand, without ids or dates, so a
rerun on the same data writes the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from stv_pipeline.exports import svg_chart
from stv_pipeline.exports.dictionary import ColumnDoc
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.layout import is_number_unit

SUPPRESSED = ".."  # a cell left empty by disclosure control, as in the workbook
NOT_RANKED = "–"  # an en dash: no rank, because the jobcentre was not eligible
PARTICIPANT_COLOUR, COMPARISON_COLOUR, TARGET_COLOUR = "#1f5f8b", "#c0504d", "#7f7f7f"
PROVISIONAL_SHADE = "#eeeeee"
# the providers beside the jobcentre: distinct from it and from each other (Okabe-Ito)
PROVIDER_COLOURS = ("#e69f00", "#009e73", "#cc79a7", "#56b4e9")
COLUMNS = 5  # small multiples per row


def number(value: Any, decimals: int = 1) -> str:
    """Danish notation: decimal comma, a thousands dot; '..' for a suppressed cell."""
    if value is None or pd.isna(value):
        return SUPPRESSED
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(share: Any, decimals: int = 1) -> str:
    return SUPPRESSED if share is None or pd.isna(share) else f"{number(share * 100, decimals)} %"


def points(pp: Any) -> str:
    """Percentage points with one decimal and a sign."""
    if pp is None or pd.isna(pp):
        return SUPPRESSED
    return ("+" if pp > 0 else "") + f"{number(pp, 1)} pct.-point"


def rank(value: Any, eligible: Any) -> str:
    """A rank, the en dash when there is none (not eligible), '..' when suppressed."""
    if eligible is False or (eligible is not None and not pd.isna(eligible) and not eligible):
        return NOT_RANKED
    return SUPPRESSED if value is None or pd.isna(value) else str(int(value))


@dataclass(frozen=True)
class ReportInputs:
    """What the page says besides the tables: where the figures come from."""

    run_id: str
    labels: Labels
    inputs: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    from_sample: bool = False


def _percent_tick(share: float) -> str:
    return percent(share, 0 if float(round(share * 100, 6)).is_integer() else 1)


def _count_tick(count: float) -> str:
    return number(count, 0)


def _day(value: Any) -> int:
    return pd.Timestamp(value).toordinal()


def _count_panel(
    box: svg_chart.Box,
    index: int,
    panels: int,
    period: tuple[date, date],
    highest: float,
    code: Any,
    labels: Labels,
) -> tuple[str, svg_chart.Scale, svg_chart.Scale]:
    """The axes of small multiple `index` of `panels` counting persons on its own scale (from 0
    to cover `highest`) over the common `period`, titled with its jobcentre; the unit beside
    the row's first panel (beside another it would stand on its left neighbour's lines).
    With the panel's time and count scales."""
    ticks = svg_chart.covering_ticks(highest, 4, True)
    x = svg_chart.time_scale(*period, box.left, box.right)
    y = svg_chart.Scale(0, ticks[-1], box.bottom, box.top)
    years = svg_chart.shows_years(index, panels, COLUMNS)
    axes = svg_chart.panel_axes(
        box, x, y, ticks, _count_tick, labels.municipality(code), years=years
    )
    if index % COLUMNS == 0:
        axes += svg_chart.text(9, box.top + box.height / 2, "personer", rotate=True)
    return axes, x, y


def success_chart(success: pd.DataFrame, participants: dict[int, bool], labels: Labels) -> str:
    """One small panel per jobcentre: share_either of all target groups by month; STV
    jobcentres blue, comparison red; provisional months shaded and hollow; gaps suppressed.
    One time axis and one percent scale for all panels."""
    alle = success[success["target_group"] == "alle"]
    codes = sorted(
        alle["municipality_code"].unique(), key=lambda c: (not participants.get(int(c)), int(c))
    )
    if not codes:
        return "<p><em>Ingen offentliggjorte tal.</em></p>"
    alle = alle.assign(day=[_day(m) for m in alle["month"]]).sort_values("day")
    panels = dict(list(alle.groupby("municipality_code")))
    top = min(1.0, max(0.1, float(alle["share_either"].max(skipna=True) or 0) * 1.15))
    ticks = svg_chart.nice_ticks(0, top, 4)
    first, last = (date.fromordinal(d) for d in (alle["day"].min(), alle["day"].max()))
    boxes, height = svg_chart.panel_grid(len(codes), COLUMNS)
    parts = []
    for i, (box, code) in enumerate(zip(boxes, codes, strict=False)):
        rows = panels[code]
        colour = PARTICIPANT_COLOUR if participants.get(int(code)) else COMPARISON_COLOUR
        x = svg_chart.time_scale(first, last, box.left, box.right)
        y = svg_chart.Scale(0, top, box.bottom, box.top)
        points = list(zip(rows["day"], rows["share_either"].astype(float), strict=True))
        provisional = rows["provisional"].fillna(False).astype(bool).tolist()
        shown = [p for p, late in zip(points, provisional, strict=True) if late]
        if shown:
            # a month is a period: the shade covers the provisional months whole
            start = max(box.left, x(shown[0][0] - 15))
            end = min(box.right, x(points[-1][0] + 15))
            parts.append(svg_chart.rect(start, box.top, end - start, box.height, PROVISIONAL_SHADE))
        parts.append(
            svg_chart.panel_axes(
                box,
                x,
                y,
                ticks,
                _percent_tick,
                labels.municipality(code),
                colour,
                years=svg_chart.shows_years(i, len(codes), COLUMNS),
                values=i % COLUMNS == 0,
            )
        )
        parts.append(svg_chart.series(points, x, y, colour))
        parts += [
            svg_chart.circle(x(d), y(s), 1.5, colour, hollow=True)
            for d, s in shown
            if not svg_chart.missing(s)
        ]
    keys = [
        svg_chart.Key("STV-kommune", PARTICIPANT_COLOUR),
        svg_chart.Key("Sammenligningskommune", COMPARISON_COLOUR),
        svg_chart.Key("Foreløbige måneder", PROVISIONAL_SHADE, area=True),
    ]
    parts.append(svg_chart.legend(keys, height + 6))
    return svg_chart.document(height + 14, "".join(parts), "Succesandele over tid")


def baseline_endline_chart(be: pd.DataFrame, labels: Labels) -> str:
    """Baseline and endline share per jobcentre and pooled, as pairs of horizontal bars: the
    pooled rows first, then the jobcentres by name; a suppressed share has no bar."""
    rows = be[(be["target_group"] == "alle") & (be["scope"] != "did")].copy()
    rows["name"] = [
        labels.municipality(r.municipality_code)
        if r.scope == "municipality"
        else labels.value("scope", r.scope)
        for r in rows.itertuples()
    ]
    rows["order"] = rows["scope"].map({"participants": 0, "comparison": 1}).fillna(2)
    rows = rows.sort_values(["order", "name"])
    row_height, size = 14.0, 8
    left = max((len(str(n)) for n in rows["name"]), default=0) * size * 0.62 + 8
    box = svg_chart.Box(left, 6, svg_chart.WIDTH - left - 12, row_height * len(rows))
    shares = rows[["share_either_baseline", "share_either_endline"]].astype(float)
    ticks = svg_chart.covering_ticks(float(shares.max(skipna=True).max() or 0), 5)
    x = svg_chart.Scale(0, ticks[-1], box.left, box.right)
    parts = []
    for tick in ticks:
        parts.append(svg_chart.line(x(tick), box.top, x(tick), box.bottom, svg_chart.GRID_COLOUR))
        parts.append(svg_chart.text(x(tick), box.bottom + 10, _percent_tick(tick)))
    bars = (
        ("share_either_baseline", "#9fb8cc", 1.5),
        ("share_either_endline", PARTICIPANT_COLOUR, 7),
    )
    for i, r in enumerate(rows.itertuples()):
        top = box.top + i * row_height
        parts.append(svg_chart.text(box.left - 4, top + 10, r.name, size, anchor="end"))
        for column, colour, offset in bars:
            share = _optional(getattr(r, column))
            if share is not None:
                parts.append(
                    svg_chart.rect(box.left, top + offset, x(share) - box.left, 5.5, colour)
                )
    parts.append(svg_chart.frame(box))
    keys = [
        svg_chart.Key(_capital(labels.value("wave", "baseline")), "#9fb8cc", area=True),
        svg_chart.Key(_capital(labels.value("wave", "endline")), PARTICIPANT_COLOUR, area=True),
    ]
    parts.append(svg_chart.legend(keys, box.bottom + 24))
    return svg_chart.document(box.bottom + 32, "".join(parts), "Nulpunkt og slutmåling")


def _capital(text: object) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def did_sentence(be: pd.DataFrame) -> str:
    """The difference-in-differences in words, from the pooled rows and the did row."""
    pooled = be[be["target_group"] == "alle"].set_index("scope")
    if not {"participants", "comparison", "did"} <= set(pooled.index):
        return ""
    p, c, d = (pooled.loc[s] for s in ("participants", "comparison", "did"))
    return (
        f"STV-kommunerne samlet gik fra {percent(p.share_either_baseline)} til "
        f"{percent(p.share_either_endline)} ({points(p.change_pp_either)}), "
        f"sammenligningskommunerne fra {percent(c.share_either_baseline)} til "
        f"{percent(c.share_either_endline)} ({points(c.change_pp_either)}). "
        f"Forskel-i-forskelle: <strong>{points(d.change_pp_either)}</strong>."
    )


def goal_chart(goals: pd.DataFrame, labels: Labels) -> str:
    """One panel per jobcentre: its count of active company placements and the dashed
    target path, on one time axis and its own scale (jobcentres differ much in size)."""
    placements = goals[goals["measure"] == "active_company_placements"]
    if placements.empty:
        return "<p><em>Ingen mål indberettet.</em></p>"
    placements = placements.assign(day=[_day(d) for d in placements["extract_date"]])
    panels = dict(list(placements.sort_values("day").groupby("municipality_code")))
    codes = sorted(panels, key=int)
    first, last = (date.fromordinal(d) for d in (placements["day"].min(), placements["day"].max()))
    boxes, height = svg_chart.panel_grid(len(codes), COLUMNS)
    parts = []
    for i, (box, code) in enumerate(zip(boxes, codes, strict=True)):
        rows = panels[code]
        actual = list(zip(rows["day"], rows["actual"].astype(float), strict=True))
        target = list(zip(rows["day"], rows["target"].astype(float), strict=True))
        highest = float(rows[["actual", "target"]].astype(float).max(skipna=True).max() or 0)
        axes, x, y = _count_panel(box, i, len(codes), (first, last), highest, code, labels)
        parts.append(axes)
        parts.append(svg_chart.series(target, x, y, TARGET_COLOUR, width=1, dash="--"))
        parts.append(svg_chart.series(actual, x, y, PARTICIPANT_COLOUR, marker=1))
    keys = [
        svg_chart.Key("Faktisk", PARTICIPANT_COLOUR, marker=True),
        svg_chart.Key("Målsti", TARGET_COLOUR, dash="--"),
    ]
    parts.append(svg_chart.legend(keys, height + 6))
    return svg_chart.document(height + 14, "".join(parts), "Aktive virksomhedsrettede forløb")


def provider_series(
    by_provider: pd.DataFrame, measure: str = "active_company_placements"
) -> dict[int, dict[str, list[tuple[date, float | None]]]]:
    """Per municipality with providers: the jobcentre's own count and each provider's tally
    over the extract dates (None where not delivered or suppressed): the tallies beside the
    count, never added to it (DESIGN §2.3)."""
    rows = by_provider[by_provider["measure"] == measure].sort_values("extract_date")
    charts = {}
    for code, municipal in rows.groupby("municipality_code"):
        dates = sorted({pd.Timestamp(d).date() for d in municipal["extract_date"]})
        own = {
            pd.Timestamp(r.extract_date).date(): _optional(r.jobcentre_count)
            for r in municipal.itertuples()
        }
        series = {"jobcentre": [(d, own[d]) for d in dates]}
        for provider, tallies in municipal.groupby("provider"):
            tally = {
                pd.Timestamp(r.extract_date).date(): _optional(r.provider_count)
                for r in tallies.itertuples()
            }
            series[str(provider)] = [(d, tally.get(d)) for d in dates]
        charts[int(code)] = series
    return charts


def _optional(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def provider_chart(by_provider: pd.DataFrame, labels: Labels) -> str:
    """One panel per jobcentre with providers: its own count (thick) and each provider's
    tally, each line a dot on every published date; the legend under the panel, where it
    covers no line."""
    charts = provider_series(by_provider)
    if not charts:
        return "<p><em>Ingen kommune har indberettet leverandørers egne opgørelser.</em></p>"
    days = [d.toordinal() for s in charts.values() for d, _ in s["jobcentre"]]
    first, last = date.fromordinal(min(days)), date.fromordinal(max(days))
    lines = max(len(s) for s in charts.values())
    below = svg_chart.YEAR_ROOM + 8 * lines + 4
    boxes, height = svg_chart.panel_grid(len(charts), COLUMNS, 80, below)
    parts = []
    for i, (box, (code, series)) in enumerate(zip(boxes, charts.items(), strict=True)):
        values = [v for s in series.values() for _, v in s if v is not None]
        axes, x, y = _count_panel(
            box, i, len(charts), (first, last), max(values, default=0), code, labels
        )
        parts.append(axes)
        for j, (name, points_) in enumerate(series.items()):
            own = name == "jobcentre"
            colour = PARTICIPANT_COLOUR if own else PROVIDER_COLOURS[(j - 1) % 4]
            dash = "" if own else ("--", ":", "-.", "--")[(j - 1) % 4]
            days_ = [(d.toordinal(), v) for d, v in points_]
            parts.append(svg_chart.series(days_, x, y, colour, 1.6 if own else 1.1, dash, marker=1))
            key = svg_chart.Key("Jobcentrets opgørelse" if own else name, colour, dash, True)
            legend_y = box.bottom + svg_chart.YEAR_ROOM + 4 + 8 * j
            parts.append(svg_chart.swatch(key, box.left - 20, legend_y, 6))
    return svg_chart.document(height, "".join(parts), "Leverandørernes opgørelser")


def revision_curve(revisions: pd.DataFrame) -> pd.Series:
    """Share of a month's final population an extract had seen, by lag in months (final =
    the newest extract; only months it holds and earlier extracts saw)."""
    population = revisions[
        (revisions["measure"] == "population") & (revisions["target_group"] == "alle")
    ].dropna(subset=["value"])
    if population.empty:
        return pd.Series(dtype=float)
    newest = population["vintage"].max()
    finals = population[population["vintage"] == newest][["municipality_code", "month", "value"]]
    joined = population.merge(finals, on=["municipality_code", "month"], suffixes=("", "_final"))
    joined = joined[(joined["vintage"] != newest) & (joined["value_final"] > 0)]
    curve = joined.groupby("lag_months")[["value", "value_final"]].sum()
    return (curve["value"] / curve["value_final"]).head(12)


def revision_chart(curve: pd.Series) -> str:
    if curve.empty:
        return "<p><em>Kun ét registerudtræk: endnu ingen revisioner.</em></p>"
    lags = [int(lag) for lag in curve.index]
    box = svg_chart.Box(40, 8, svg_chart.WIDTH - 52, 120)
    x = svg_chart.Scale(min(lags) - 0.6, max(lags) + 0.6, box.left, box.right)
    y = svg_chart.Scale(0, 1.1, box.bottom, box.top)
    parts = []
    for tick in svg_chart.nice_ticks(0, 1.1, 5):
        parts.append(svg_chart.line(box.left, y(tick), box.right, y(tick), svg_chart.GRID_COLOUR))
        parts.append(svg_chart.text(box.left - 3, y(tick) + 2.5, _percent_tick(tick), anchor="end"))
    bar = (x(0.4) - x(0)) * 2  # four fifths of a month's room
    for lag, share in zip(lags, curve.astype(float), strict=True):
        parts.append(
            svg_chart.rect(
                x(lag) - bar / 2, y(share), bar, box.bottom - y(share), PARTICIPANT_COLOUR
            )
        )
        parts.append(svg_chart.text(x(lag), y(share) - 2, percent(share, 0)))
        parts.append(svg_chart.text(x(lag), box.bottom + 10, lag))
    parts.append(svg_chart.frame(box))
    parts.append(
        svg_chart.text(
            box.left + box.width / 2,
            box.bottom + 24,
            "Måneder fra månedens udgang til udtrækket (-1 = udtræk i selve måneden)",
            8,
        )
    )
    return svg_chart.document(box.bottom + 30, "".join(parts), "Revisionskurve")


def case_table(cases: pd.DataFrame, labels: Labels, columns: list[ColumnDoc]) -> str:
    """Every STV jobcentre, each heading (meta.label_da) with its unit (meta.unit), as in the
    workbook."""
    docs = {doc.column: doc for doc in columns}

    def label(column: str) -> str:
        doc = docs.get(column)
        text, unit = (doc.label_da, doc.unit) if doc else (column, "")
        return f"{text} ({unit})" if is_number_unit(unit) and unit != "rang" else text

    head = [
        "Kommune",
        label("success_change"),
        label("fidelity_change_management"),
        label("fidelity_change_staff"),
        label("rank_success"),
        label("rank_fidelity"),
        label("eligible"),
        label("selected"),
        label("reason"),
    ]
    body = []
    for r in cases.sort_values("municipality_code").itertuples():
        eligible = None if pd.isna(r.eligible) else bool(r.eligible)
        cells = [
            labels.municipality(r.municipality_code),
            number(r.success_change, 1),
            number(r.fidelity_change_management, 2),
            number(r.fidelity_change_staff, 2),
            rank(r.rank_success, eligible),
            rank(r.rank_fidelity, eligible),
            labels.value("eligible", eligible) or SUPPRESSED,
            labels.value("selected", None if pd.isna(r.selected) else bool(r.selected))
            or SUPPRESSED,
            r.reason if isinstance(r.reason, str) else SUPPRESSED,
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def period_and_vintages(success: pd.DataFrame, inputs: list[dict[str, Any]]) -> str:
    months = pd.to_datetime(success["month"])
    period = f"{months.min():%m.%Y}–{months.max():%m.%Y}" if len(months) else "ingen måneder"
    vintages = sorted({i["vintage"] for i in inputs if i.get("vintage")})
    shown = ", ".join(date.fromisoformat(v).strftime("%d.%m.%Y") for v in vintages) or "ingen"
    return (
        f"<p>Dataperiode: {html.escape(period)}. Registerudtræk (årgange): "
        f"{html.escape(shown)}.</p>"
    )


def warn_checks(checks: list[dict[str, Any]], labels: Labels) -> str:
    """The WARN checks that found something, in Danish: what is wrong and where (the
    municipalities with most rows first), and what it means; the passed ones counted."""
    warns = [c for c in checks if c["severity"] == "WARN"]
    if not warns:
        return "<p>Ingen advarselskontroller i denne kørsel.</p>"
    failed = [c for c in warns if not c["passed"]]
    vocabulary = labels.vocabulary
    passed = vocabulary.text("check", "passed", n=len(warns) - len(failed), total=len(warns))
    if not failed:
        return f"<p>{html.escape(passed)}</p>"
    items = []
    for c in failed:
        meta = c.get("metadata") or {}
        title = meta.get("title_da") or "Datatest"
        found = c.get("description") or ""
        meaning = meta.get("description_da") or c.get("definition") or ""
        items.append(
            f"<li><strong>{html.escape(title)}</strong>: {html.escape(found)}."
            + (f" <em>{html.escape(meaning)}</em>" if meaning else "")
            + "</li>"
        )
    return (
        f"<p>{html.escape(passed)} Advarslerne nedenfor stopper ikke leverancen, men bør "
        f"læses, før tallene bruges.</p><ul>{''.join(items)}</ul>"
    )


def build_report(
    tables: dict[str, pd.DataFrame],
    about: ReportInputs,
    docs: dict[str, tuple[str, list[ColumnDoc]]],
) -> str:
    """The page, from the published frames of the export (keyed by table name) and their
    columns' documentation (exports/dictionary.py table_docs)."""
    labels = about.labels
    success = tables["success_criteria_monthly"]
    be = tables["baseline_endline"]
    # case_selection lists every STV jobcentre; the others are the comparison.
    participants = {int(c): True for c in tables["case_selection"]["municipality_code"]}
    sections = [
        (
            "Succesandele over tid",
            "Andelen af målgruppens borgere i hver kommune med virksomhedsrettet indsats "
            "og/eller ordinære løntimer, alle målgrupper samlet. Blå: STV-kommuner, rød: "
            "sammenligningskommuner. Gråt felt og hule punkter: foreløbige måneder. Huller: "
            "tal skjult af diskretionshensyn.",
            success_chart(success, participants, labels),
        ),
        (
            "Nulpunkt og slutmåling",
            "Succesandelen (procent) i nulpunktet og slutmålingen pr. kommune og samlet. "
            + did_sentence(be),
            baseline_endline_chart(be, labels),
        ),
        (
            "Aktive virksomhedsrettede forløb mod målstien",
            "Kommunernes egne opgørelser (personer) og den lineære målsti.",
            goal_chart(tables["goal_attainment"], labels),
        ),
        (
            "Leverandørernes opgørelser ved siden af jobcentrets",
            "Hver leverandørs egen opgørelse af aktive virksomhedsrettede forløb ved siden af "
            "jobcentrets. Opgørelserne er en opdeling, ikke lagt til jobcentrets tal, og de "
            "behøver ikke summere til det; huller er datoer uden indberetning.",
            provider_chart(tables["monitoring_by_provider"], labels),
        ),
        (
            "Revisionskurve",
            "Hvor stor en del af en måneds endelige antal borgere et tidligere registerudtræk "
            "allerede viste, efter hvor mange måneder efter månedens udgang udtrækket blev "
            "taget (måneder som er endelige i det nyeste udtræk).",
            revision_chart(revision_curve(tables["registration_revisions"])),
        ),
        (
            "Udvælgelse af cases",
            f"Alle STV-jobcentre, deres tal og hvorfor de blev valgt eller ej. "
            f"{NOT_RANKED} = ikke rangeret (ikke valgbar); {SUPPRESSED} = skjult af "
            "diskretionshensyn.",
            case_table(tables["case_selection"], labels, docs["case_selection"][1]),
        ),
        ("Advarsler", "", warn_checks(about.checks, labels)),
    ]
    body = "".join(
        f"<section><h2>{html.escape(t)}</h2>" + (f"<p>{d}</p>" if d else "") + f"{c}</section>"
        for t, d, c in sections
    )
    banner = (
        '<p class="banner">Bemærk: tallene er beregnet på det medfølgende syntetiske '
        "eksempeldatasæt, ikke på rigtige leverancer.</p>"
        if about.from_sample
        else ""
    )
    return f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8">
<title>STV-evaluering – kørsel {html.escape(about.run_id[:8])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 62rem; color: #222; }}
svg.chart {{ width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
section {{ margin-bottom: 2.5rem; }}
.banner {{ background: #fff3cd; border: 1px solid #e0c36c; padding: .6rem 1rem; }}
</style></head><body>
<h1>STV-evaluering – nøgletal</h1>
{banner}
<p>Kørsel {html.escape(about.run_id[:8])}. Tal efter diskretionskontrol: antal på 1-4 personer og
tal, der kunne afsløre dem, vises ikke ({SUPPRESSED}).</p>
{period_and_vintages(success, about.inputs)}
{body}
</body></html>
"""
