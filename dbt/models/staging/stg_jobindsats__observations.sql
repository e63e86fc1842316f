with source as (
    select * from {{ source('raw', 'jobindsats') }}
)

select
    table_id,
    area,
    municipality_code,
    period,
    period_type,
    period_start,
    period_end,
    dimensions,
    is_total,
    measure,
    {{ jobindsats_measure_name('measure') }} as measure_name,
    value,
    extract_date as vintage,
    _file_name as file_name,
    _loaded_at as loaded_at
from source
