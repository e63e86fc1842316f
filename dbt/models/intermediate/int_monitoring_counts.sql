-- DESIGN §2.3: a jobcentre delivers its own count (empty provider) beside its providers'
-- tallies, which need not add up to it. The count of a municipality, date and measure is the
-- jobcentre's own when delivered, the providers' sum only when it is not; never both added.
with monitoring as (
    select * from {{ ref('stg_municipal__monitoring') }}
),

counted as (
    select
        municipality_code,
        extract_date,
        measure,
        max(actual_count) filter (where provider = '') as jobcentre_count,
        sum(actual_count) filter (where provider <> '') as providers_sum,
        count(*) filter (where provider <> '') as n_providers
    from monitoring
    group by municipality_code, extract_date, measure
)

select
    municipality_code,
    extract_date,
    measure,
    jobcentre_count,
    providers_sum,
    n_providers,
    coalesce(jobcentre_count, providers_sum) as monitoring_count,
    case when jobcentre_count is not null then 'jobcentre' else 'providers_sum' end
        as count_source
from counted
