-- DESIGN §3.6: for provisional months, the final value estimated from completion factors.
with settings as (
    select * from {{ ref('evaluation_settings') }}
),

provisional_now as (
    select
        r.municipality_code,
        r.month,
        r.target_group,
        r.measure,
        r.value as observed,
        r.lag_months,
        r.provisional_reason,
        r.revised_measure,
        r.revised_vintage
    from {{ ref('int_revisions_with_status') }} as r
    -- a measure unknown in the newest vintage (no earnings snapshot yet) has nothing to scale
    where r.is_newest_vintage and r.provisional and r.value is not null
),

joined as (
    select
        p.*,
        f.completion_factor,
        f.ratio_p10,
        f.ratio_p90,
        coalesce(f.mature_months, 0) as mature_months,
        coalesce(f.mature_months, 0) >= s.nowcast_min_mature_months
            and f.completion_factor > 0 as can_estimate
    from provisional_now as p
    left join {{ ref('int_completion_factors') }} as f
        on p.measure = f.measure
        and p.lag_months = f.lag_months
    cross join settings as s
)

select
    cast(municipality_code as integer) as municipality_code,
    cast(month as date) as month,
    cast(target_group as string) as target_group,
    cast(measure as string) as measure,
    cast(observed as bigint) as observed,
    cast(lag_months as integer) as lag_months,
    cast(case when can_estimate then completion_factor end as double) as completion_factor,
    cast(case when can_estimate then round(observed / nullif(completion_factor, 0), 2) end as double)
        as estimate,
    cast(case when can_estimate then round(observed / nullif(ratio_p90, 0), 2) end as double)
        as lower,
    cast(case when can_estimate then round(observed / nullif(ratio_p10, 0), 2) end as double)
        as upper,
    cast(mature_months as integer) as mature_months,
    -- a code of the seed vocabulary (category note): the workbook says it in Danish with
    -- mature_months, lag_months and completion_factor
    cast(case when can_estimate then 'estimated' else 'no_estimate' end as string) as note,
    true as provisional,
    cast(provisional_reason as string) as provisional_reason,
    cast(revised_measure as string) as revised_measure,
    cast(revised_vintage as date) as revised_vintage
from joined
