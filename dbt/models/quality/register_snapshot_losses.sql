-- DESIGN §3.6: a register snapshot is everything registered up to its extract date, so a newer
-- snapshot holds at least what an older one held for the periods both cover. Compare each
-- snapshot with the one before it, per register, overall and per municipality (benefits):
-- a newer snapshot that lost rows is a truncated or wrong extract, and the rows name its files.
with settings as (
    select * from {{ ref('evaluation_settings') }}
),

-- one scan per register: rows per snapshot, municipality, period and file. Benefit weeks are
-- counted per ISO week as delivered and given their Monday afterwards, once per week rather
-- than once per row.
benefit_week_counts as (
    select
        vintage,
        municipality_code,
        iso_week,
        file_name,
        count(*) as row_count
    from {{ ref('stg_register__benefit_weeks') }}
    group by all
),

benefit_counts as (
    select
        vintage,
        municipality_code,
        {{ iso_week_monday('iso_week') }} as period_start,
        file_name,
        row_count
    from benefit_week_counts
),

earnings_counts as (
    select
        vintage,
        cast(null as integer) as municipality_code,
        month as period_start,
        file_name,
        count(*) as row_count
    from {{ ref('stg_register__earnings') }}
    group by all
),

counts as (
    select 'register_benefits' as input_source, * from benefit_counts
    union all
    select 'register_earnings' as input_source, * from earnings_counts
),

snapshots as (
    select
        input_source,
        vintage,
        min(period_start) as first_period,
        max(period_start) as last_period,
        {{ sorted_string_agg('file_name', "', '", distinct=true) }} as files
    from counts
    group by all
),

-- each snapshot against the one before it, over the periods both cover
pairs as (
    select
        input_source,
        vintage as newer_vintage,
        files as newer_files,
        lag(vintage) over by_date as older_vintage,
        greatest(first_period, lag(first_period) over by_date) as covered_from,
        least(last_period, lag(last_period) over by_date) as covered_to
    from snapshots
    window by_date as (partition by input_source order by vintage)
),

compared as (
    select
        p.input_source,
        p.older_vintage,
        p.newer_vintage,
        c.municipality_code,
        grouping(c.municipality_code) = 1 as is_overall,
        p.covered_from,
        p.covered_to,
        coalesce(sum(c.row_count) filter (where c.vintage = p.older_vintage), 0) as older_rows,
        coalesce(sum(c.row_count) filter (where c.vintage = p.newer_vintage), 0) as newer_rows,
        -- the newer snapshot's files holding the municipality's rows (all of them when it
        -- has none left)
        coalesce(
            {{ sorted_string_agg(
                'c.file_name', "', '", distinct=true, where='c.vintage = p.newer_vintage'
            ) }},
            p.newer_files
        ) as newer_files
    from pairs as p
    inner join counts as c
        on c.input_source = p.input_source
        and c.vintage in (p.older_vintage, p.newer_vintage)
        and c.period_start between p.covered_from and p.covered_to
    where p.older_vintage is not null
    group by grouping sets (
        (p.input_source, p.older_vintage, p.newer_vintage, p.covered_from, p.covered_to,
            p.newer_files, c.municipality_code),
        (p.input_source, p.older_vintage, p.newer_vintage, p.covered_from, p.covered_to,
            p.newer_files)
    )
)

select
    c.input_source,
    c.older_vintage,
    c.newer_vintage,
    c.municipality_code,
    c.is_overall,
    c.covered_from,
    c.covered_to,
    c.older_rows,
    c.newer_rows,
    greatest(c.older_rows - c.newer_rows, 0) as lost_rows,
    cast(greatest(c.older_rows - c.newer_rows, 0) as double) / nullif(c.older_rows, 0)
        as lost_rel,
    -- the loss counts overall, and in a municipality large enough that 1 % is not noise
    c.is_overall
        or c.older_rows >= s.snapshot_loss_min_rows as in_scope,
    c.newer_files
from compared as c
cross join settings as s
-- the earnings register has no municipality: its overall row is all there is
where c.is_overall or c.input_source = 'register_benefits'
