-- A re-delivered count replaces the earlier one: keep the latest loaded row per key.
with source as (
    select * from {{ source('raw', 'municipal_monitoring') }}
)

select
    municipality_code,
    extract_date,
    measure,
    coalesce(provider, '') as provider,
    count as actual_count
from source
qualify row_number() over (
    partition by municipality_code, extract_date, measure, coalesce(provider, '')
    order by _loaded_at desc
) = 1
