with source as (
    select * from {{ source('raw', 'municipal_targets') }}
)

select
    municipality_code,
    measure,
    target_date,
    target_count
from source
qualify row_number() over (
    partition by municipality_code, measure, target_date order by _loaded_at desc
) = 1
