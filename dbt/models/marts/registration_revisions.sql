-- DESIGN §3.6: every value of every success count in every vintage, and its revision.
select
    cast(r.municipality_code as integer) as municipality_code,
    cast(r.month as date) as month,
    cast(r.target_group as string) as target_group,
    cast(r.measure as string) as measure,
    cast(r.vintage as date) as vintage,
    cast(r.benefits_vintage as date) as benefits_vintage,
    cast(r.earnings_vintage as date) as earnings_vintage,
    cast(r.value as bigint) as value,
    cast(r.previous_vintage as date) as previous_vintage,
    cast(r.changed_snapshots as string) as changed_snapshots,
    cast(r.revision_abs as bigint) as revision_abs,
    cast(r.revision_rel as double) as revision_rel,
    cast(r.lag_months as integer) as lag_months,
    cast(r.mature_at_previous as boolean) as mature_at_previous,
    cast(r.exceeds_threshold as boolean) as exceeds_threshold,
    cast(r.is_latest_revision as boolean) as is_latest_revision,
    cast(r.provisional as boolean) as provisional,
    cast(r.provisional_reason as string) as provisional_reason,
    cast(r.revised_measure as string) as revised_measure,
    cast(r.revised_vintage as date) as revised_vintage
from {{ ref('int_revisions_with_status') }} as r
