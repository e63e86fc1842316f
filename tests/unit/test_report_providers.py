"""The report's provider charts: each provider's tally beside the jobcentre's count."""

from datetime import date

import numpy as np
import pandas as pd

from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import provider_chart, provider_series

D1, D2, D3 = date(2017, 3, 6), date(2017, 4, 3), date(2017, 5, 1)


def test_each_provider_is_a_line_beside_the_jobcentre_never_added_to_it():
    # 450: 6 March jobcentre 80, providers 30 and 35; 3 April only the providers (40, 2:
    # the 2 suppressed in the export); 1 May the jobcentre 90 and only the mentors' 50.
    # 461's referrals are another measure and make no chart.
    rows = [
        (450, D1, "active_company_placements", "anden aktør", 30, 80),
        (450, D1, "active_company_placements", "jobmentor", 35, 80),
        (450, D2, "active_company_placements", "anden aktør", 40, None),
        (450, D2, "active_company_placements", "jobmentor", np.nan, None),
        (450, D3, "active_company_placements", "jobmentor", 50, 90),
        (461, D1, "referrals", "jobmentor", 7, 9),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "extract_date",
            "measure",
            "provider",
            "provider_count",
            "jobcentre_count",
        ],
    )
    charts = provider_series(frame)
    assert list(charts) == [450]
    assert charts[450] == {
        "jobcentre": [(D1, 80.0), (D2, None), (D3, 90.0)],
        "anden aktør": [(D1, 30.0), (D2, 40.0), (D3, None)],
        "jobmentor": [(D1, 35.0), (D2, None), (D3, 50.0)],
    }
    svg = provider_chart(frame, Labels(categories={}, municipalities={450: "Nyborg"}))
    # one panel, titled with the name, a legend entry per line, the tallies by name
    assert svg.startswith("<svg") and svg.count("Nyborg") == 1
    assert all(name in svg for name in ("Jobcentrets opgørelse", "anden aktør", "jobmentor"))
    # the jobcentre's 80 and 90 with a gap between (two dots, no line); the other actor's 30
    # and 40 a line; the mentors' 35 and 50 dots either side of their suppressed tally
    assert svg.count("<polyline") == 1 and 'stroke-dasharray="4 2"' in svg
    assert svg.count("<circle") == 2 + 2 + 2 + 3  # and a dot in each of the three keys
    # one count scale for the panel, up to the jobcentre's 90 (never 80 + 30 + 35)
    assert ">100<" in svg and ">175<" not in svg and svg.count(">personer<") == 1
