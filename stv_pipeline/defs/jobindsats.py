"""Whether the delivered Jobindsats tables reach jobindsats_success_monthly (DESIGN §2.7).

The mart only holds what the seed jobindsats_measures maps, so a table whose labels the seed
does not know loads fine and then silently adds nothing. This check says so (WARN: an extra
table is allowed), naming the tables, so an analyst can add rows to the seed.
"""

import dagster as dg

from stv_pipeline.defs.resources import warehouse_connection
from stv_pipeline.quality.check_results import PUBLISHED_DESCRIPTION

COVERAGE = dg.AssetKey(["quality", "jobindsats_mapping_coverage"])
DANISH = {
    "title_da": "Jobindsats-tabeller, som ingen tal bruges fra",
    "description_da": (
        "En leveret tabel fra Jobindsats.dk har månedstal for kommuner, men koblingen af "
        "tabellernes tal til succeskriterierne bruger ingen af dem, så tabellen bidrager ikke "
        "til arket 'Jobindsats'. En analytiker kan tilføje tabellen til koblingen."
    ),
}


def mapping_check_result(coverage: list[tuple[str, int, int]]) -> dg.AssetCheckResult:
    """`coverage`: (table, monthly municipal figures, mapped figures) per loaded table."""
    unmapped = [table for table, monthly, mapped in coverage if monthly > 0 and mapped == 0]
    mapped = [table for table, _, n in coverage if n > 0]
    if unmapped:
        description = (
            f"{len(unmapped)} Jobindsats table(s) with monthly municipal figures feed nothing: "
            f"{', '.join(unmapped)}; add their dimension filter and measure to the seed "
            "jobindsats_measures if they are meant for jobindsats_success_monthly"
        )
    elif coverage:
        description = f"the seed maps figures of {', '.join(mapped)}"
    else:
        description = "no Jobindsats table loaded"
    return dg.AssetCheckResult(
        passed=not unmapped,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            # what the report says: the tables, none of their figures
            PUBLISHED_DESCRIPTION: dg.MetadataValue.text(
                f"{len(unmapped)} tabel(ler) uden kobling: {', '.join(unmapped)}"
                if unmapped
                else "alle tabeller er koblet"
            ),
            **{k: dg.MetadataValue.text(v) for k, v in DANISH.items()},
            "tables_loaded": dg.MetadataValue.int(len(coverage)),
            "tables_mapped": dg.MetadataValue.json(mapped),
            "tables_unmapped": dg.MetadataValue.json(unmapped),
        },
    )


@dg.asset_check(
    asset=COVERAGE,
    name="jobindsats_tables_mapped",
    description=(
        "WARN when a delivered Jobindsats table has monthly municipal figures none of which the "
        "seed jobindsats_measures maps: it then adds nothing to jobindsats_success_monthly."
    ),
    metadata=DANISH,
    required_resource_keys={"warehouse"},
)
def jobindsats_tables_mapped(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    with warehouse_connection(context.resources.warehouse) as con:
        coverage = con.execute(
            "select table_id, monthly_municipal_figures, mapped_figures "
            "from quality.jobindsats_mapping_coverage order by table_id"
        ).fetchall()
    return mapping_check_result(coverage)
