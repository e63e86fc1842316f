-- DESIGN §2.3: each provider's tally beside the jobcentre's own count, never added to it.
-- The gap between the providers' sum and the jobcentre's count is flagged like a
-- reconciliation gap: most often registrations that one side has and the other not yet.
with providers as (
    select
        municipality_code,
        extract_date,
        measure,
        provider,
        actual_count as provider_count
    from {{ ref('stg_municipal__monitoring') }}
    where provider <> ''
),

counts as (
    select * from {{ ref('int_monitoring_counts') }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

compared as (
    select
        p.municipality_code,
        p.extract_date,
        p.measure,
        p.provider,
        p.provider_count,
        c.jobcentre_count,
        c.providers_sum,
        c.n_providers,
        c.providers_sum - c.jobcentre_count as gap_abs
    from providers as p
    inner join counts as c
        on p.municipality_code = c.municipality_code
        and p.extract_date = c.extract_date
        and p.measure = c.measure
)

select
    cast(c.municipality_code as integer) as municipality_code,
    cast(c.extract_date as date) as extract_date,
    cast(c.measure as string) as measure,
    cast(c.provider as string) as provider,
    cast(c.provider_count as bigint) as provider_count,
    cast(c.jobcentre_count as bigint) as jobcentre_count,
    cast(round(cast(c.provider_count as double) / nullif(c.jobcentre_count, 0), 6) as double) as provider_share,
    cast(c.providers_sum as bigint) as providers_sum,
    cast(c.n_providers as integer) as n_providers,
    cast(c.gap_abs as bigint) as gap_abs,
    cast(round(cast(c.gap_abs as double) / nullif(c.jobcentre_count, 0), 6) as double) as gap_rel,
    -- as in reconciliation: a gap over the threshold, or tallies where the jobcentre counts
    -- none; without a jobcentre count there is nothing to compare
    cast(
        coalesce(
            abs(cast(c.gap_abs as double) / nullif(c.jobcentre_count, 0)) > s.reconciliation_gap_threshold,
            c.jobcentre_count = 0 and c.providers_sum > 0,
            false
        ) as boolean
    ) as flagged,
    -- municipal counts are not revised by register extracts
    false as provisional
from compared as c
cross join settings as s
