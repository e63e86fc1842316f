-- Each register vintage with its size and load order, to catch anomalies (DESIGN §3.6): an
-- extract older than one already loaded, or a snapshot smaller than the one before it.
with files as (
    select *
    from {{ ref('stg_pipeline__file_log') }}
    where replaced_at is null
        and input_source in ('register_benefits', 'register_earnings')
),

vintages as (
    select
        input_source,
        vintage,
        count(*) as files,
        sum(row_count) as row_count,
        min(loaded_at) as first_loaded_at
    from files
    group by input_source, vintage
),

ordered as (
    select
        *,
        lag(vintage) over by_date as previous_vintage,
        lag(row_count) over by_date as previous_row_count,
        -- was a newer vintage of the same source already loaded when this one arrived?
        max(vintage) over (
            partition by input_source order by first_loaded_at
            rows between unbounded preceding and 1 preceding
        ) as newest_loaded_before
    from vintages
    window by_date as (partition by input_source order by vintage)
)

select
    input_source,
    vintage,
    files,
    row_count,
    first_loaded_at,
    previous_vintage,
    previous_row_count,
    cast(row_count - previous_row_count as double) / nullif(previous_row_count, 0)
        as row_change_rel,
    coalesce(newest_loaded_before > vintage, false) as loaded_after_newer_vintage,
    newest_loaded_before
from ordered
