"""report.html on hand-made tables: Danish numbers, names, the en dash for 'not ranked' apart
from the suppression mark, the difference-in-differences in words, and identical bytes on a
rerun."""

import re
from datetime import date

import pandas as pd

from stv_pipeline.exports.dictionary import table_docs
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import (
    NOT_RANKED,
    SUPPRESSED,
    ReportInputs,
    build_report,
    case_table,
    did_sentence,
    number,
    percent,
    period_and_vintages,
    points,
    rank,
    revision_curve,
    warn_checks,
)

LABELS = Labels(
    categories={
        ("boolean", "true"): "Ja",
        ("boolean", "false"): "Nej",
        ("target_group", "alle"): "alle målgrupper",
        ("scope", "participants"): "STV-kommuner samlet",
        ("scope", "comparison"): "sammenligningskommuner",
        ("scope", "municipality"): "kommune",
    },
    municipalities={101: "København", 492: "Ærø", 851: "Aalborg"},
)


def test_numbers_are_written_the_danish_way():
    assert number(21.241198257967355) == "21,2"
    assert number(12345.678, 2) == "12.345,68"
    assert percent(0.138461538461539) == "13,8 %"
    assert points(6.33469) == "+6,3 pct.-point" and points(-0.375) == "-0,4 pct.-point"
    assert number(None) == percent(float("nan")) == points(pd.NA) == SUPPRESSED


def test_not_ranked_is_an_en_dash_and_a_suppressed_rank_the_suppression_mark():
    assert rank(2.0, True) == "2"
    assert rank(None, False) == NOT_RANKED == "–"
    assert rank(float("nan"), True) == SUPPRESSED
    assert NOT_RANKED != SUPPRESSED


def baseline_endline() -> pd.DataFrame:
    rows = [
        # scope, code, baseline share, endline share, change in percentage points
        ("participants", None, 0.253377, 0.337452, 8.407474),
        ("comparison", None, 0.22611, 0.246838, 2.072784),
        ("did", None, 0.027267, 0.090614, 6.33469),
        ("municipality", 851, 0.2, 0.3, 10.0),
        ("municipality", 492, None, None, None),  # the smallest: suppressed
    ]
    return pd.DataFrame(
        {
            "scope": [r[0] for r in rows],
            "municipality_code": pd.array([r[1] for r in rows], dtype="Int64"),
            "target_group": "alle",
            "share_either_baseline": [r[2] for r in rows],
            "share_either_endline": [r[3] for r in rows],
            "change_pp_either": [r[4] for r in rows],
        }
    )


def test_the_difference_in_differences_in_words():
    sentence = did_sentence(baseline_endline())
    assert "fra 25,3 % til 33,7 % (+8,4 pct.-point)" in sentence
    assert "fra 22,6 % til 24,7 % (+2,1 pct.-point)" in sentence
    assert "Forskel-i-forskelle: <strong>+6,3 pct.-point</strong>" in sentence


def test_baseline_and_endline_are_bars_a_suppressed_share_none():
    from stv_pipeline.exports.report import baseline_endline_chart

    chart = baseline_endline_chart(baseline_endline(), LABELS)
    names = re.findall(r'text-anchor="end" fill="#222222">([^<]*)<', chart)
    assert names == ["STV-kommuner samlet", "sammenligningskommuner", "Aalborg", "Ærø"]
    # two bars for each of three rows, none for Ærø's suppressed shares; a frame; two keys
    assert chart.count("<rect") == 6 + 1 + 2
    everything_suppressed = baseline_endline().assign(
        share_either_baseline=None, share_either_endline=None
    )
    assert ">0 %<" in baseline_endline_chart(everything_suppressed, LABELS)


def cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality_code": [851, 492, 101],
            "success_change": [21.241198257967355, -8.8, None],
            "fidelity_change_management": [0.5, -0.375, 0.25],
            "fidelity_change_staff": [0.583333333333333, 0.1, 0.2],
            "rank_success": [2.0, None, None],
            "rank_fidelity": [4.0, None, None],
            "eligible": pd.array([True, False, True], dtype="boolean"),
            "selected": pd.array([True, False, None], dtype="boolean"),
            "reason": ["selected: rank 2 on results", "not eligible", None],
        }
    )


def test_case_selection_shows_names_points_ja_nej_and_tells_dash_from_suppressed():
    table = case_table(cases(), LABELS, table_docs()["case_selection"][1])
    rows = table.split("<tr>")[2:]
    assert rows[0].startswith("<td>København</td><td>..</td><td>0,25</td><td>0,20</td>")
    # København is eligible but its ranks are suppressed: '..', not the dash
    assert "<td>..</td><td>..</td><td>Ja</td><td>..</td>" in rows[0]
    assert "<td>Ærø</td><td>-8,8</td>" in rows[1]
    assert f"<td>{NOT_RANKED}</td><td>{NOT_RANKED}</td><td>Nej</td><td>Nej</td>" in rows[1]
    assert "<td>Aalborg</td><td>21,2</td><td>0,50</td><td>0,58</td><td>2</td><td>4</td>" in rows[2]
    assert "Opfylder kriterierne" in table and "True" not in table
    assert "<th>Ændring i succesandel (pct.-point)</th>" in table  # a rank has no unit shown
    assert "<th>Rang på resultater</th>" in table


def test_period_and_register_vintages():
    success = pd.DataFrame({"month": [date(2016, 6, 1), date(2019, 3, 1)]})
    inputs = [
        {"source": "register_benefits", "vintage": "2019-04-15"},
        {"source": "register_earnings", "vintage": "2019-01-15"},
        {"source": "register_benefits", "vintage": "2019-01-15"},
        {"source": "municipal_targets", "vintage": None},
    ]
    text = period_and_vintages(success, inputs)
    assert "Dataperiode: 06.2016–03.2019" in text
    assert "15.01.2019, 15.04.2019." in text


def test_only_failed_warn_checks_are_described_the_passed_ones_counted():
    from stv_pipeline.vocabulary import read_vocabulary

    labels = Labels(vocabulary=read_vocabulary())
    checks = [
        {
            "asset": "marts/reconciliation",
            "check": "gx_reconciliation_gaps",
            "passed": False,
            "severity": "WARN",
            "description": "51 rækker i 6 kommuner: Frederikshavn (813) 23 rækker",
            "metadata": {
                "title_da": "Kommunernes tal mod registret",
                "description_da": "Kommunens opgørelse afviger mere end 10 % fra registrets.",
            },
        },
        {
            "asset": "raw/register_benefits",
            "check": "no_quarantined_files",
            "passed": True,
            "severity": "WARN",
            "description": "ingen filer i karantæne",
            "metadata": {"title_da": "Filer i karantæne: ydelsesregistret"},
        },
        {
            "asset": "marts/y",
            "check": "keys",
            "passed": True,
            "severity": "ERROR",
            "description": "",
        },
    ]
    text = warn_checks(checks, labels)
    assert text.startswith("<p>1 af 2 advarselskontroller bestået.")
    assert (
        "<li><strong>Kommunernes tal mod registret</strong>: 51 rækker i 6 kommuner: "
        "Frederikshavn (813) 23 rækker. <em>Kommunens opgørelse afviger mere end 10 % fra "
        "registrets.</em></li>"
    ) in text
    # a passed check is counted, never described with the wording of its failure
    assert "karantæne" not in text and "keys" not in text and "marts/" not in text
    checks[0]["passed"] = True
    assert warn_checks(checks, labels) == "<p>2 af 2 advarselskontroller bestået.</p>"


def test_revision_curve_is_the_share_of_the_final_value_seen_by_lag():
    # Two months; the newest vintage (2019-04-15) is final. 2019-01 vintage saw 80 of 100 and
    # 45 of 50 at lag 0; the February vintage saw both fully at lag 1 (made-up but consistent).
    rows = [
        (date(2018, 12, 1), date(2019, 1, 15), 0, 80),
        (date(2018, 12, 1), date(2019, 2, 15), 1, 100),
        (date(2018, 12, 1), date(2019, 4, 15), 3, 100),
        (date(2019, 1, 1), date(2019, 2, 15), 0, 45),
        (date(2019, 1, 1), date(2019, 4, 15), 2, 50),
    ]
    revisions = pd.DataFrame(
        {
            "municipality_code": 851,
            "month": [r[0] for r in rows],
            "vintage": [r[1] for r in rows],
            "lag_months": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "measure": "population",
            "target_group": "alle",
        }
    )
    curve = revision_curve(revisions)
    assert curve.to_dict() == {0: (80 + 45) / 150, 1: 1.0}


def test_the_report_is_danish_and_the_same_bytes_on_a_rerun():
    months = [date(2018, m, 1) for m in range(1, 7)]
    success = pd.DataFrame(
        {
            "municipality_code": [851] * 6 + [101] * 6,
            "month": months * 2,
            "target_group": "alle",
            "share_either": [0.1, 0.12, None, 0.2, 0.22, 0.25] * 2,
            "provisional": [False] * 4 + [True] * 2 + [False] * 4 + [True] * 2,
        }
    )
    goals = pd.DataFrame(
        {
            "municipality_code": [851] * 3,
            "measure": "active_company_placements",
            "extract_date": [date(2018, m, 1) for m in (1, 2, 3)],
            "actual": [3, 5, 8],
            "target": [4.0, 6.0, 8.0],
        }
    )
    empty_revisions = pd.DataFrame(
        columns=[
            "municipality_code",
            "month",
            "vintage",
            "lag_months",
            "value",
            "measure",
            "target_group",
        ]
    )
    # Aalborg's jobcentre 8 on 1 March beside its mentors' tally of 5
    by_provider = pd.DataFrame(
        {
            "municipality_code": [851],
            "extract_date": [date(2018, 3, 1)],
            "measure": ["active_company_placements"],
            "provider": ["Mentorhuset"],
            "provider_count": [5],
            "jobcentre_count": [8],
        }
    )
    tables = {
        "success_criteria_monthly": success,
        "baseline_endline": baseline_endline(),
        "goal_attainment": goals,
        "monitoring_by_provider": by_provider,
        "registration_revisions": empty_revisions,
        "case_selection": cases(),
    }
    about = ReportInputs(run_id="9e0ad809-run", labels=LABELS, from_sample=True)
    docs = table_docs()
    first, second = build_report(tables, about, docs), build_report(tables, about, docs)
    assert first == second
    # success, baseline/endline, goals, providers; no revisions yet
    assert first.count("<svg") == 4 and "Mentorhuset" in first
    assert "Kun ét registerudtræk" in first and "syntetiske eksempeldatasæt" in first
    assert "Aalborg" in first and "København" in first and "STV-kommuner samlet" in first
    assert ">20 %<" in first and ">0.2<" not in first  # percent ticks, as text in the SVG
    # no ids, dates or namespaces to vary between runs, and nothing fetched or run
    assert " id=" not in first and "xmlns" not in first and "<script" not in first
    assert first.count('<svg class="chart" viewBox="0 0 720 ') == 4
    not_sample = build_report(tables, ReportInputs(run_id="9e0ad809-run", labels=LABELS), docs)
    assert "syntetiske eksempeldatasæt" not in not_sample


def test_every_goal_panel_of_a_row_with_an_empty_place_has_its_years():
    from stv_pipeline.exports.report import goal_chart

    codes = [253, 316, 450, 461, 710, 813]  # six jobcentres: a full row and one below
    goals = pd.DataFrame(
        [
            {
                "municipality_code": code,
                "measure": "active_company_placements",
                "extract_date": day,
                "actual": 10 + i,
                "target": 12.0,
            }
            for code in codes
            for i, day in enumerate([date(2017, 3, 6), date(2018, 3, 5), date(2019, 3, 4)])
        ]
    )
    labels = Labels(municipalities={c: f"K{c}" for c in codes})
    chart = goal_chart(goals, labels)
    # Greve's panel (the first) has one below it, but its row's others have none: all six
    # show their years, and the unit stands beside the first panel of each row only
    assert chart.count(">2018<") == 6
    assert chart.count(">personer<") == 2


def test_a_suppressed_month_is_a_gap_in_the_line_and_provisional_months_hollow():
    from stv_pipeline.exports.report import PROVISIONAL_SHADE, success_chart

    months = [date(2018, m, 1) for m in range(1, 7)]
    success = pd.DataFrame(
        {
            "municipality_code": 492,
            "month": months,
            "target_group": "alle",
            # March suppressed; May and June provisional
            "share_either": [0.1, 0.12, None, 0.2, 0.22, 0.25],
            "provisional": [False] * 4 + [True] * 2,
        }
    )
    labels = Labels(municipalities={492: "Ærø & <Strynø>"})
    chart = success_chart(success, {492: True}, labels)
    # January-February and April-June, nothing across March
    lines = re.findall(r'<polyline points="([^"]*)"', chart)
    assert [len(points.split()) for points in lines] == [2, 3]
    assert chart.count('fill="#ffffff"') == 2  # the provisional months' hollow markers
    assert f'fill="{PROVISIONAL_SHADE}"' in chart
    assert ">Ærø &amp; &lt;Strynø&gt;</text>" in chart and "<Strynø>" not in chart
    assert 'fill="#1f5f8b">Ærø' in chart  # the title in the series' colour
    # the shared percent scale: top = 0.25 x 1.15, ticks every 10 %
    assert [t for t in ("0 %", "10 %", "20 %", "30 %") if f">{t}<" in chart] == [
        "0 %",
        "10 %",
        "20 %",
    ]
    assert ">2018<" in chart and success_chart(success, {492: True}, labels) == chart
