-- How much of a month's final value earlier vintages had already seen, by lag (DESIGN §3.6,
-- nowcast). Learned from months that are final now: their newest value counts as final.
with revisions as (
    select * from {{ ref('int_revisions_with_status') }}
),

-- months final now: their newest value counts as final
finals as (
    select municipality_code, month, target_group, measure, value as final_value
    from revisions
    where is_newest_vintage and not provisional
),

observations as (
    select
        r.measure,
        r.lag_months,
        r.month,
        r.value,
        f.final_value
    from revisions as r
    inner join finals as f
        on r.municipality_code = f.municipality_code
        and r.month = f.month
        and r.target_group = f.target_group
        and r.measure = f.measure
    -- a vintage in which the measure is unknown (no earnings snapshot yet) saw nothing of it
    where not r.is_newest_vintage and r.value is not null
)

select
    measure,
    lag_months,
    count(distinct month) as mature_months,
    count(*) as cells,
    -- ratio of sums: large cells weigh more than small, noisy ones
    round(cast(sum(value) as double) / nullif(sum(final_value), 0), 6) as completion_factor,
    -- the spread of single cells' ratios gives the interval; tiny cells are left out
    round(percentile_cont(0.1) within group (order by cast(value as double) / nullif(final_value, 0))
        filter (where final_value >= 5), 6) as ratio_p10,
    round(percentile_cont(0.9) within group (order by cast(value as double) / nullif(final_value, 0))
        filter (where final_value >= 5), 6) as ratio_p90
from observations
group by measure, lag_months
