with source as (
    select * from {{ source('raw', 'stv_participants') }}
)

select
    municipality_code,
    min(start_date) as start_date
from source
group by municipality_code
