"""report.html: one self-contained page in Danish for STAR (inline SVG, no script, no network).

It is drawn from the published tables, after disclosure control, so it shows nothing the
export files do not: a suppressed share is a gap in a line, not a point. Charts are drawn with
matplotlib's SVG backend, without its metadata and with fixed element ids, so a rerun on the
same data writes the same bytes.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

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
SVG_RC = {"svg.hashsalt": "stv-report", "svg.fonttype": "none", "font.size": 8}


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


def svg(figure) -> str:
    """The figure as an inline <svg> element, without matplotlib's date and version."""
    import matplotlib

    with matplotlib.rc_context(SVG_RC):
        buffer = io.StringIO()
        figure.savefig(
            buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Inline in HTML the SVG needs neither its namespace declarations nor its RDF metadata
    # block (which names URLs, though nothing is fetched).
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    text = re.sub(r' xmlns(:xlink)?="[^"]*"', "", text)
    # A fixed width in pt would not shrink on a narrow screen.
    return re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 class="chart"', text, count=1
    )


def _figure(rows: int, columns: int, height: float = 1.7):
    """Small multiples on a page-wide figure, `_align`ed once drawn. The panels are not
    matplotlib-shared: there every limit or locator set on one panel walks all the others,
    quadratic in the panels (a national report has a hundred)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    with matplotlib.rc_context(SVG_RC):
        figure = Figure(figsize=(10, height * rows + 0.6))
        axes = figure.subplots(rows, columns, squeeze=False)
        # The tight crop would shrink a row of two panels to their width, and the page then
        # scales them up to its own: an invisible frame keeps every chart page-wide.
        figure.add_artist(
            Rectangle((0, 0), 1, 1, transform=figure.transFigure, fill=False, edgecolor="none")
        )
    return figure, axes


def _align(axes, shown: int, same_y: bool = True) -> None:
    """Give the first `shown` panels one time axis (and, with `same_y`, one vertical scale:
    False for counts of jobcentres of very different sizes, which one scale would clip or
    flatten), each the union of the panels' own ranges; hide the rest. Tick labels of a
    shared scale stay on the outer panels: the years under the lowest panel of each column,
    the values beside the first column."""
    panels = list(axes.flat[:shown])
    for ax in axes.flat[shown:]:
        ax.set_visible(False)
    if not panels:
        return
    x = _union(ax.get_xlim() for ax in panels)
    y = _union(ax.get_ylim() for ax in panels) if same_y else None
    for ax in panels:
        ax.set_xlim(*x)
        if y:
            ax.set_ylim(*y)
    columns = axes.shape[1]
    # The years stay off a row only when every panel of it has one below: a reader of a
    # panel beside an empty place would find no years under it.
    full_rows_below = shown // columns - 1
    for i, ax in enumerate(panels):
        if i // columns < full_rows_below and shown % columns == 0:
            ax.tick_params(labelbottom=False)
        if same_y and i % columns:
            ax.tick_params(labelleft=False)


def _union(ranges) -> tuple[float, float]:
    ranges = list(ranges)
    return min(low for low, _ in ranges), max(high for _, high in ranges)


def _percent_axis(ax, top: float) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y * 100:.0f} %"))


def _count_axis(ax) -> None:
    """Persons on a panel's own scale: whole numbers, the unit beside the row's first panel
    (beside another it would stand on its left neighbour)."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    if ax.get_subplotspec().colspan.start == 0:
        ax.set_ylabel("personer", fontsize=7)


def _year_axis(ax) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def success_chart(success: pd.DataFrame, participants: dict[int, bool], labels: Labels) -> str:
    """One small panel per jobcentre: share_either of all target groups by month; STV
    jobcentres blue, comparison red; provisional months shaded and hollow; gaps suppressed."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    alle = success[success["target_group"] == "alle"].copy()
    alle["month"] = pd.to_datetime(alle["month"])
    codes = sorted(
        alle["municipality_code"].unique(), key=lambda c: (not participants.get(int(c)), int(c))
    )
    if not codes:
        return "<p><em>Ingen offentliggjorte tal.</em></p>"
    rows = -(-len(codes) // COLUMNS)
    figure, axes = _figure(rows, COLUMNS)
    top = min(1.0, max(0.1, float(alle["share_either"].max(skipna=True) or 0) * 1.15))
    for ax, code in zip(axes.flat, codes, strict=False):
        rows_ = alle[alle["municipality_code"] == code].sort_values("month")
        colour = PARTICIPANT_COLOUR if participants.get(int(code)) else COMPARISON_COLOUR
        provisional = rows_[rows_["provisional"].fillna(False).astype(bool)]
        if len(provisional):
            ax.axvspan(provisional["month"].min(), rows_["month"].max(), color=PROVISIONAL_SHADE)
        ax.plot(rows_["month"], rows_["share_either"].astype(float), color=colour, lw=1.3)
        ax.plot(
            provisional["month"],
            provisional["share_either"].astype(float),
            ls="none",
            marker="o",
            ms=3,
            mfc="white",
            mec=colour,
        )
        ax.set_title(labels.municipality(code), fontsize=8, color=colour)
        _percent_axis(ax, top)
        _year_axis(ax)
        ax.grid(axis="y", color="#dddddd", lw=0.5)
    _align(axes, len(codes))
    figure.legend(
        handles=[
            Line2D([], [], color=PARTICIPANT_COLOUR, label="STV-kommune"),
            Line2D([], [], color=COMPARISON_COLOUR, label="Sammenligningskommune"),
            Patch(color=PROVISIONAL_SHADE, label="Foreløbige måneder"),
        ],
        loc="lower center",
        ncol=3,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    return svg(figure)


def baseline_endline_chart(be: pd.DataFrame, labels: Labels) -> str:
    """Baseline and endline share per jobcentre and pooled, as pairs of horizontal bars."""
    import matplotlib
    from matplotlib.figure import Figure

    rows = be[(be["target_group"] == "alle") & (be["scope"] != "did")].copy()
    rows["name"] = [
        labels.municipality(r.municipality_code)
        if r.scope == "municipality"
        else labels.value("scope", r.scope)
        for r in rows.itertuples()
    ]
    rows["order"] = rows["scope"].map({"participants": 0, "comparison": 1}).fillna(2)
    rows = rows.sort_values(["order", "name"], ascending=[False, False])
    with matplotlib.rc_context(SVG_RC):
        figure = Figure(figsize=(8, 0.32 * len(rows) + 0.8))
        ax = figure.subplots()
    y = range(len(rows))
    ax.barh(
        [i + 0.2 for i in y],
        rows["share_either_baseline"].astype(float),
        0.38,
        color="#9fb8cc",
        label=_capital(labels.value("wave", "baseline")),
    )
    ax.barh(
        [i - 0.2 for i in y],
        rows["share_either_endline"].astype(float),
        0.38,
        color=PARTICIPANT_COLOUR,
        label=_capital(labels.value("wave", "endline")),
    )
    ax.set_yticks(list(y), rows["name"].tolist())
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f} %"))
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    ax.legend(loc="lower right", frameon=False)
    return svg(figure)


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
    placements = goals[goals["measure"] == "active_company_placements"].copy()
    if placements.empty:
        return "<p><em>Ingen mål indberettet.</em></p>"
    placements["extract_date"] = pd.to_datetime(placements["extract_date"])
    codes = sorted(placements["municipality_code"].unique(), key=int)
    figure, axes = _figure(-(-len(codes) // COLUMNS), COLUMNS)
    for ax, code in zip(axes.flat, codes, strict=False):
        rows = placements[placements["municipality_code"] == code].sort_values("extract_date")
        ax.plot(
            rows["extract_date"],
            rows["actual"].astype(float),
            color=PARTICIPANT_COLOUR,
            lw=1.3,
            marker="o",
            ms=2,
        )
        ax.plot(
            rows["extract_date"], rows["target"].astype(float), color=TARGET_COLOUR, lw=1, ls="--"
        )
        ax.set_title(labels.municipality(code), fontsize=8)
        ax.set_ylim(bottom=0)
        _count_axis(ax)
        _year_axis(ax)
        ax.grid(axis="y", color="#dddddd", lw=0.5)
    _align(axes, len(codes), same_y=False)
    from matplotlib.lines import Line2D

    figure.legend(
        handles=[
            Line2D([], [], color=PARTICIPANT_COLOUR, marker="o", ms=2, label="Faktisk"),
            Line2D([], [], color=TARGET_COLOUR, ls="--", label="Målsti"),
        ],
        loc="lower center",
        ncol=2,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    return svg(figure)


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
    tally; a published figure between two gaps is a dot, as a line needs two neighbours."""
    charts = provider_series(by_provider)
    if not charts:
        return "<p><em>Ingen kommune har indberettet leverandørers egne opgørelser.</em></p>"
    figure, axes = _figure(-(-len(charts) // COLUMNS), COLUMNS, height=2.6)
    for ax, (code, series) in zip(axes.flat, charts.items(), strict=False):
        for i, (name, points_) in enumerate(series.items()):
            own = name == "jobcentre"
            x = [pd.Timestamp(d) for d, _ in points_]
            y = [float("nan") if v is None else v for _, v in points_]
            ax.plot(
                x,
                y,
                color=PARTICIPANT_COLOUR if own else PROVIDER_COLOURS[(i - 1) % 4],
                lw=1.6 if own else 1.1,
                ls="-" if own else ("--", ":", "-.", "--")[(i - 1) % 4],
                marker="o",
                ms=2,
                label="Jobcentrets opgørelse" if own else name,
            )
        ax.set_title(labels.municipality(code), fontsize=8)
        ax.set_ylim(bottom=0)
        _count_axis(ax)
        _year_axis(ax)
        ax.grid(axis="y", color="#dddddd", lw=0.5)
        # under the panel, where it covers no line
        ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.22))
    _align(axes, len(charts), same_y=False)
    return svg(figure)


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
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context(SVG_RC):
        figure = Figure(figsize=(10, 2.4))
        ax = figure.subplots()
    lags = [int(lag) for lag in curve.index]
    ax.bar(lags, curve.to_numpy(), color=PARTICIPANT_COLOUR)
    for lag, share in zip(lags, curve.to_numpy(), strict=True):
        ax.text(lag, share, percent(share, 0), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(lags, [str(lag) for lag in lags])
    ax.set_xlabel("Måneder fra månedens udgang til udtrækket (-1 = udtræk i selve måneden)")
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f} %"))
    return svg(figure)


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
