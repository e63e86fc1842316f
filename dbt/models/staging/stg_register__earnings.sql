with source as (
    select * from {{ source('raw', 'register_earnings') }}
)

select
    person_id,
    month,
    ordinary_hours,
    extract_date as vintage
from source
