"""Little exported tables for the disclosure tests, built as the marts build them."""

from datetime import date

import numpy as np
import pandas as pd

from stv_pipeline.exports.cells import DisclosureRules

KH, RF, IY = (
    "kontanthjaelp_aktivitetsparat",
    "ressourceforloeb",
    "integrationsydelse_aktivitetsparat",
)
WINDOWS = {
    "baseline": (date(2016, 7, 1), date(2016, 9, 30)),
    "endline": (date(2018, 7, 1), date(2018, 7, 31)),
}
WIDTH = 2.0
RULES = DisclosureRules(
    windows=WINDOWS,
    protection_width=WIDTH,
    snapshots_read={
        "population": ("benefits",),
        "n_company": ("benefits",),
        "n_hours": ("benefits", "earnings"),
        "n_either": ("benefits", "earnings"),
    },
)
NEWEST, OLDER, OLDEST = date(2019, 4, 15), date(2019, 1, 15), date(2018, 10, 15)


def success(rows):
    """success_criteria_monthly rows: (municipality, month, group, population, n_company,
    n_hours, n_either), shares computed."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "month",
            "target_group",
            "population",
            "n_company",
            "n_hours",
            "n_either",
        ],
    )
    for m in ("company", "hours", "either"):
        frame[f"share_{m}"] = frame[f"n_{m}"] / frame["population"]
    frame["provisional"] = False
    return frame


def window_row(scope, code, participant, group, **counts):
    row = {
        "scope": scope,
        "municipality_code": code,
        "is_participant": participant,
        "target_group": group,
    }
    for w in ("baseline", "endline"):
        population = counts.get(f"population_{w}", np.nan)
        row[f"population_{w}"] = float(population)
        for m in ("company", "hours", "either"):
            row[f"n_{m}_{w}"] = float(counts.get(f"n_{m}_{w}", population * 0))
    frame = pd.DataFrame([row])
    for m in ("company", "hours", "either"):
        for w in ("baseline", "endline"):
            frame[f"share_{m}_{w}"] = frame[f"n_{m}_{w}"] / frame[f"population_{w}"]
        frame[f"change_pp_{m}"] = (frame[f"share_{m}_endline"] - frame[f"share_{m}_baseline"]) * 100
        frame[f"relative_change_{m}"] = frame[f"change_pp_{m}"] / 100 / frame[f"share_{m}_baseline"]
    frame["provisional"] = False
    return frame


def baseline_endline(*rows):
    return pd.concat(rows, ignore_index=True).astype({"municipality_code": "Int64"})


def revisions(rows):
    """registration_revisions rows: (municipality, month, group, measure, vintage, value,
    previous vintage); revisions computed from the previous vintage's value."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "month",
            "target_group",
            "measure",
            "vintage",
            "value",
            "previous_vintage",
        ],
    )
    keys = ["municipality_code", "month", "target_group", "measure"]
    previous = frame[[*keys, "vintage", "value"]].rename(
        columns={"vintage": "previous_vintage", "value": "previous_value"}
    )
    frame = frame.merge(previous, on=[*keys, "previous_vintage"], how="left")
    frame["revision_abs"] = (frame["value"] - frame["previous_value"]).astype("Int64")
    frame["revision_rel"] = frame["revision_abs"] / frame["previous_value"]
    # each vintage a benefits snapshot of its own; no earnings snapshot
    frame.insert(frame.columns.get_loc("vintage") + 1, "benefits_vintage", frame["vintage"])
    frame.insert(frame.columns.get_loc("benefits_vintage") + 1, "earnings_vintage", None)
    return frame.drop(columns="previous_value")


def nowcast(rows):
    frame = pd.DataFrame(
        rows, columns=["municipality_code", "month", "target_group", "measure", "observed"]
    )
    frame["completion_factor"] = 0.9
    frame["estimate"] = frame["observed"] / 0.9
    frame["lower"], frame["upper"] = frame["estimate"] - 1, frame["estimate"] + 1
    return frame
