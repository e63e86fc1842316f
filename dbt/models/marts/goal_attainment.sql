-- DESIGN §3.5: the municipalities' monitoring counts against their target trajectories.
with actuals as (
    -- the jobcentre's own count, or its providers' sum when it delivered none (DESIGN §2.3)
    select
        municipality_code,
        measure,
        extract_date,
        monitoring_count as actual,
        count_source as actual_source
    from {{ ref('int_monitoring_counts') }}
),

points as (
    select
        municipality_code,
        measure,
        target_date,
        target_count,
        {{ month_position('target_date') }} as position,
        lead(target_date) over trajectory as next_date,
        lead(target_count) over trajectory as next_count,
        lead({{ month_position('target_date') }}) over trajectory as next_position,
        -- (a named window with a frame is DuckDB's: Spark wants the frame spelt out)
        last_value(target_count) over (
            partition by municipality_code, measure order by target_date
            rows between unbounded preceding and unbounded following
        ) as final_target
    from {{ ref('stg_municipal__targets') }}
    window trajectory as (partition by municipality_code, measure order by target_date)
),

-- consecutive target points make the segments of a trajectory, linear on the month scale
segments as (
    select
        municipality_code,
        measure,
        target_date as start_date,
        next_date as end_date,
        target_count as start_count,
        position as start_position,
        (next_count - target_count) / nullif(next_position - position, 0) as monthly_slope,
        next_date = max(next_date) over (partition by municipality_code, measure) as is_last
    from points
    where next_date is not null
),

finals as (
    select distinct municipality_code, measure, final_target from points
),

-- a date on a target point belongs to the segment starting there; the final point to the
-- last segment; dates outside the trajectory to none
placed as (
    select
        a.*,
        s.start_count + s.monthly_slope
            * ({{ month_position('a.extract_date') }} - s.start_position) as target,
        s.monthly_slope
    from actuals as a
    left join segments as s
        on a.municipality_code = s.municipality_code
        and a.measure = s.measure
        and a.extract_date >= s.start_date
        and (a.extract_date < s.end_date or (s.is_last and a.extract_date = s.end_date))
)

select
    cast(p.municipality_code as integer) as municipality_code,
    cast(p.measure as string) as measure,
    cast(p.extract_date as date) as extract_date,
    cast(p.actual as bigint) as actual,
    cast(p.actual_source as string) as actual_source,
    cast(round(p.target, 6) as double) as target,
    cast(round(p.actual / nullif(p.target, 0), 6) as double) as attainment,
    cast(round(p.actual / nullif(f.final_target, 0), 6) as double) as attainment_final,
    cast(round(p.monthly_slope, 6) as double) as monthly_slope,
    -- survey answers and municipal counts are not revised by register extracts
    false as provisional
from placed as p
left join finals as f
    on p.municipality_code = f.municipality_code
    and p.measure = f.measure
