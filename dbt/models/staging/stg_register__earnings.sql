with source as (
    select * from {{ source('raw', 'register_earnings') }}
)

select
    person_id,
    month,
    ordinary_hours,
    extract_date as vintage,
    _file_name as file_name
from source
