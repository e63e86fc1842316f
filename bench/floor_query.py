"""The floor: DESIGN §3.1 as one DuckDB query over the newest register files, nothing else.

    python -m bench.floor_query INBOX OUT.parquet

No validation, no vintages kept, no checks, no export: the least work that gives the success
criteria, and so the yardstick for the pipeline's own time (issue 7). It reads the same files as
the pipeline (the newest `benefits_*` and `earnings_*` vintage of the inbox) and the same seeds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

from stv_pipeline.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"

SUCCESS_CRITERIA_SQL = """
with register as (
    select * from read_parquet({benefits})
),
calendar as (
    -- a week belongs to the month of its Thursday; parse each distinct week once
    select
        iso_week,
        date_trunc('month', strptime(iso_week || '-4', '%G-W%V-%u'))::date as month,
        strptime(iso_week || '-1', '%G-W%V-%u')::date as monday
    from (select distinct iso_week from register)
),
-- one pass over the person-weeks: per person, month and group (null: not a target group)
person_month_groups as (
    select
        w.person_id,
        c.month,
        b.target_group,
        count(*) as n_weeks,
        bool_or(coalesce(a.counts_as_company_oriented, false)) as has_company,
        max(c.monday) as last_monday,
        arg_max(w.municipality_code, c.monday) as municipality_code
    from register as w
    join calendar as c using (iso_week)
    left join read_csv('{seeds}/benefit_codes.csv') as b using (benefit_code)
    left join read_csv('{seeds}/activation_codes.csv') as a using (activation_code)
    group by all
),
person_months as (
    select
        g.person_id,
        g.month,
        -- most weeks wins, ties to the group's priority
        arg_max(g.target_group, g.n_weeks * 100 - t.priority) as target_group,
        -- the municipality of the last target-group week
        arg_max(g.municipality_code, g.last_monday) filter (g.target_group is not null)
            as municipality_code,
        -- company-oriented activity in any week, not only target-group weeks
        bool_or(g.has_company) as has_company
    from person_month_groups as g
    left join read_csv('{seeds}/target_groups.csv') as t using (target_group)
    group by all
    having count(g.target_group) > 0
),
hours as (
    select person_id, strptime(month, '%Y-%m')::date as month, sum(ordinary_hours) as hours
    from read_parquet({earnings})
    group by all
),
persons as (
    select
        p.municipality_code,
        p.month,
        p.target_group,
        p.has_company,
        coalesce(h.hours, 0) > 0 as has_hours
    from person_months as p
    left join hours as h using (person_id, month)
)
select
    municipality_code,
    month,
    coalesce(target_group, 'alle') as target_group,
    count(*) as population,
    count(*) filter (has_company) as n_company,
    count(*) filter (has_hours) as n_hours,
    count(*) filter (has_company or has_hours) as n_either,
    n_company / population as share_company,
    n_hours / population as share_hours,
    n_either / population as share_either
from persons
group by grouping sets ((municipality_code, month, target_group), (municipality_code, month))
"""


def newest_vintage_files(folder: Path, prefix: str) -> list[Path]:
    """The files of the newest extract date (`<prefix>_YYYY-MM-DD*.parquet`)."""
    files = sorted(folder.glob(f"{prefix}_*.parquet"))
    if not files:
        raise SystemExit(f"no {prefix}_*.parquet files in {folder}")
    newest = max(f.name[len(prefix) + 1 : len(prefix) + 11] for f in files)
    return [f for f in files if f.name[len(prefix) + 1 :].startswith(newest)]


def floor_sql(inbox: Path) -> str:
    def file_list(folder: str, prefix: str) -> str:
        files = newest_vintage_files(inbox / folder, prefix)
        return "[" + ", ".join(f"'{f}'" for f in files) + "]"

    return SUCCESS_CRITERIA_SQL.format(
        benefits=file_list("register_benefits", "benefits"),
        earnings=file_list("register_earnings", "earnings"),
        seeds=SEEDS,
    )


def main(argv: list[str]) -> int:
    inbox, out = Path(argv[0]), Path(argv[1])
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"copy ({floor_sql(inbox)}) to '{out}' (format parquet)")
    rows = con.execute(f"select count(*) from '{out}'").fetchone()[0]
    print(f"floor: {rows} rows of success criteria in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
