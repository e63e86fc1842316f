"""DESIGN §3.1-3.2 written the way an analyst would in pandas, independently of the pipeline.

    python -m bench.pandas_metrics INBOX OUT_FOLDER

Two uses: the integration tests compare the dbt marts with it on the shipped sample (an
independent computation of the spec), and the benchmark (issue 7) times it against the
pipeline. It reads the input folder (one sub-folder per source), only the newest register
extract as an analyst would, and the dbt seeds directly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

GROUP_ORDER = [
    "kontanthjaelp_aktivitetsparat",
    "ressourceforloeb",
    "integrationsydelse_aktivitetsparat",
]


def _read_newest_extract(folder: Path, prefix: str) -> pd.DataFrame:
    """The files of the newest extract date (`<prefix>_YYYY-MM-DD*`), concatenated."""
    paths = sorted(folder.glob(f"{prefix}_*"))
    newest = max(path.stem.split("_")[1][:10] for path in paths)
    frames = [
        pd.read_parquet(path)
        if path.suffix == ".parquet"
        else pd.read_csv(path, sep=None, engine="python")
        for path in paths
        if path.stem.split("_")[1].startswith(newest)
    ]
    return pd.concat(frames, ignore_index=True)


def success_criteria_monthly(inputs: Path, seeds: Path) -> pd.DataFrame:
    weeks = _read_newest_extract(inputs / "register_benefits", "benefits")
    earnings = _read_newest_extract(inputs / "register_earnings", "earnings")

    benefit_codes = pd.read_csv(seeds / "benefit_codes.csv")
    activation_codes = pd.read_csv(seeds / "activation_codes.csv")
    weeks = weeks.merge(
        benefit_codes[["benefit_code", "target_group"]], on="benefit_code", how="left"
    )
    weeks = weeks.merge(
        activation_codes[["activation_code", "counts_as_company_oriented"]],
        on="activation_code",
        how="left",
    )
    weeks["company"] = weeks["counts_as_company_oriented"].fillna(False).astype(bool)
    monday = pd.to_datetime(weeks["iso_week"] + "-1", format="%G-W%V-%u")
    weeks["monday"] = monday
    weeks["month"] = (monday + pd.Timedelta(days=3)).dt.to_period("M").dt.to_timestamp()

    in_group = weeks[weeks["target_group"].notna()]
    counts = (
        in_group.groupby(["person_id", "month", "target_group"])
        .size()
        .rename("n_weeks")
        .reset_index()
    )
    counts["priority"] = counts["target_group"].map({g: i for i, g in enumerate(GROUP_ORDER)})
    counts = counts.sort_values(
        ["person_id", "month", "n_weeks", "priority"], ascending=[True, True, False, True]
    )
    group = counts.drop_duplicates(["person_id", "month"])[["person_id", "month", "target_group"]]

    last_week = in_group.sort_values("monday").drop_duplicates(["person_id", "month"], keep="last")
    municipality = last_week[["person_id", "month", "municipality_code"]]
    company = weeks.groupby(["person_id", "month"])["company"].any().reset_index()

    earnings["month"] = pd.to_datetime(earnings["month"] + "-01")
    hours = earnings.groupby(["person_id", "month"])["ordinary_hours"].sum().reset_index()

    persons = (
        group.merge(municipality, on=["person_id", "month"])
        .merge(company, on=["person_id", "month"])
        .merge(hours, on=["person_id", "month"], how="left")
    )
    persons["hours"] = persons["ordinary_hours"].fillna(0) > 0
    persons["either"] = persons["company"] | persons["hours"]

    def aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return (
            frame.groupby(keys)
            .agg(
                population=("person_id", "size"),
                n_company=("company", "sum"),
                n_hours=("hours", "sum"),
                n_either=("either", "sum"),
            )
            .reset_index()
        )

    by_group = aggregate(persons, ["municipality_code", "month", "target_group"])
    pooled = aggregate(persons, ["municipality_code", "month"]).assign(target_group="alle")
    result = pd.concat([by_group, pooled], ignore_index=True)
    for measure in ("company", "hours", "either"):
        result[f"share_{measure}"] = result[f"n_{measure}"] / result["population"]
    return result.sort_values(["municipality_code", "month", "target_group"]).reset_index(drop=True)


def baseline_endline_pooled(
    monthly: pd.DataFrame, participants: set[int], windows: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """share_either per window for participants and comparison pooled (Σ n ÷ Σ population)."""
    rows = []
    for window, (start, end) in windows.items():
        in_window = monthly[(monthly["month"] >= start) & (monthly["month"] <= end)]
        for scope, members in (("participants", True), ("comparison", False)):
            part = in_window[in_window["municipality_code"].isin(participants) == members]
            for group, frame in part.groupby("target_group"):
                rows.append(
                    {
                        "scope": scope,
                        "target_group": group,
                        "window": window,
                        "population": frame["population"].sum(),
                        "share_either": frame["n_either"].sum() / frame["population"].sum(),
                    }
                )
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    from stv_pipeline.settings import DBT_PROJECT_DIR

    inputs, out = Path(argv[0]), Path(argv[1])
    seeds = DBT_PROJECT_DIR / "seeds"
    started = time.perf_counter()
    monthly = success_criteria_monthly(inputs, seeds)
    participants = set(
        pd.concat(pd.read_csv(p) for p in sorted((inputs / "stv_participants").glob("*.csv")))[
            "municipality_code"
        ]
    )
    windows = {
        row.evaluation_window: (row.start_date, row.end_date)
        for row in pd.read_csv(seeds / "evaluation_windows.csv", parse_dates=[1, 2]).itertuples()
    }
    pooled = baseline_endline_pooled(monthly, participants, windows)
    out.mkdir(parents=True, exist_ok=True)
    monthly.to_parquet(out / "success_criteria_monthly.parquet", index=False)
    pooled.to_parquet(out / "baseline_endline_pooled.parquet", index=False)
    print(
        f"pandas: {len(monthly)} rows of success criteria, {len(pooled)} pooled window rows "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
