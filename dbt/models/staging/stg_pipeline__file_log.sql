with source as (
    select * from {{ source('raw', 'file_log') }}
)

select
    source as input_source,
    file_name,
    sha256,
    origin,
    rows as row_count,
    extract_date as vintage,
    loaded_at,
    replaced_at
from source
