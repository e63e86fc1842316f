-- How much of a month's final value earlier vintages had already seen, by lag (DESIGN §3.6,
-- nowcast). Learned from months that are final now: their newest value counts as final.
with revisions as (
    select * from {{ ref('int_revisions') }}
),

newest as (
    select vintage from {{ ref('int_register_vintages') }} where is_newest
),

finals as (
    select
        r.municipality_code,
        r.month,
        r.target_group,
        r.measure,
        r.value as final_value
    from revisions as r
    inner join newest as n
        on r.vintage = n.vintage
    inner join {{ ref('int_month_status') }} as s
        on r.municipality_code = s.municipality_code
        and r.month = s.month
        and r.target_group = s.target_group
    where not s.provisional
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
    where r.vintage < (select vintage from newest)
)

select
    measure,
    lag_months,
    count(distinct month) as mature_months,
    count(*) as cells,
    -- ratio of sums: large cells weigh more than small, noisy ones
    round(cast(sum(value) as double) / nullif(sum(final_value), 0), 6) as completion_factor,
    -- the spread of single cells' ratios gives the interval; tiny cells are left out
    round(quantile_cont(cast(value as double) / final_value, 0.1)
        filter (where final_value >= 5), 6) as ratio_p10,
    round(quantile_cont(cast(value as double) / final_value, 0.9)
        filter (where final_value >= 5), 6) as ratio_p90
from observations
group by measure, lag_months
