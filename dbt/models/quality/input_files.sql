-- The files the current marts are built on, newest first per source.
select
    input_source,
    file_name,
    sha256,
    origin,
    row_count,
    vintage,
    loaded_at
from {{ ref('stg_pipeline__file_log') }}
where replaced_at is null
order by input_source, loaded_at desc
