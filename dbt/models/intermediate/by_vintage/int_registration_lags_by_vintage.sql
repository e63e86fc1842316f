-- How late each vintage's person-weeks were registered, per municipality (DESIGN §3.6).
-- Person-weeks are the benefits snapshot's alone: incremental by benefits snapshot, whose lags
-- are computed once, and again only when its files are reloaded or the reference data changes.
-- The percentiles come from a histogram of whole days rather than median()/quantile_cont()
-- over the person-weeks: those hold every value of a group in memory at once (a national
-- build ran out of its 2 GB), while a count per day spills like any aggregate. The
-- interpolation is quantile_cont's: between the order statistics around (n - 1) x q.
{{ config(post_hook="{{ delete_vanished_vintages(snapshot='benefits') }}") }}

with vintages as (
    {{ vintages_to_build(snapshot='benefits') }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

histogram as (
    select
        w.municipality_code,
        w.vintage,
        v.inputs_fingerprint,
        w.registration_lag_days as lag_days,
        count(*) as person_weeks
    from {{ ref('stg_register__benefit_weeks') }} as w
    inner join vintages as v
        on w.vintage = v.vintage
    group by all
),

cumulative as (
    select
        *,
        sum(person_weeks) over (
            partition by municipality_code, vintage order by lag_days nulls last
        ) as through_lag,
        sum(person_weeks) over (partition by municipality_code, vintage) as total
    from histogram
),

-- 0-based position of each percentile among the group's sorted lags
positions as (
    select distinct
        c.municipality_code,
        c.vintage,
        q.quantile,
        (c.total - 1) * q.quantile as position
    from cumulative as c
    cross join (values (0.5), (0.9), (0.99)) as q(quantile)
),

-- the lag at 0-based index k is the smallest lag whose cumulative count exceeds k
percentiles as (
    select
        p.municipality_code,
        p.vintage,
        p.quantile,
        p.position,
        min(c.lag_days) filter (where c.through_lag > floor(p.position)) as lower_lag,
        min(c.lag_days) filter (where c.through_lag > ceil(p.position)) as upper_lag
    from positions as p
    inner join cumulative as c
        on p.municipality_code = c.municipality_code
        and p.vintage = c.vintage
    group by all
),

interpolated as (
    select
        municipality_code,
        vintage,
        quantile,
        lower_lag + (position - floor(position)) * (upper_lag - lower_lag) as lag_days
    from percentiles
),

totals as (
    select
        h.municipality_code,
        h.vintage,
        h.inputs_fingerprint,
        sum(h.person_weeks) as person_weeks,
        sum(h.person_weeks) filter (where h.lag_days > s.late_registration_days)
            / sum(h.person_weeks) as share_over_8_weeks
    from histogram as h
    cross join settings as s
    group by all
)

select
    t.municipality_code,
    t.vintage,
    t.person_weeks,
    round(max(i.lag_days) filter (where i.quantile = 0.5), 2) as lag_median_days,
    round(max(i.lag_days) filter (where i.quantile = 0.9), 2) as lag_p90_days,
    round(max(i.lag_days) filter (where i.quantile = 0.99), 2) as lag_p99_days,
    coalesce(t.share_over_8_weeks, 0.0) as share_over_8_weeks,
    t.inputs_fingerprint,
    {{ this_invocation() }} as built_by_invocation
from totals as t
inner join interpolated as i
    on t.municipality_code = i.municipality_code
    and t.vintage = i.vintage
group by t.municipality_code, t.vintage, t.person_weeks, t.share_over_8_weeks, t.inputs_fingerprint
