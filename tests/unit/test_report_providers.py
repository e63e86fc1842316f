"""The report's provider charts: each provider's tally beside the jobcentre's count."""

from datetime import date

import numpy as np
import pandas as pd

from stv_pipeline.exports.report import line_chart, provider_series

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
        "jobcentre": [(D1, 80.0, False), (D2, None, False), (D3, 90.0, False)],
        "anden aktør": [(D1, 30.0, False), (D2, 40.0, False), (D3, None, False)],
        "jobmentor": [(D1, 35.0, False), (D2, None, False), (D3, 50.0, False)],
    }
    svg = line_chart(charts[450], "active company placements")
    # a line joins two published neighbours: only the anden aktør's 30 -> 40 here; every
    # other published figure stands alone between gaps and is a dot (80, 90, 35, 50)
    assert svg.count("<polyline") == 1
    assert svg.count('r="2"') == 4
    assert all(f">{name}</text>" in svg for name in ("jobcentre", "anden aktør", "jobmentor"))
