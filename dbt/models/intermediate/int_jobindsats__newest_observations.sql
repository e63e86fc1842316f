-- DESIGN §2.7: the portal revises its back data, so each figure (table, area, period,
-- dimension values, measure) is taken from the newest download that holds it.
with observations as (
    select * from {{ ref('stg_jobindsats__observations') }}
)

select *
from observations
qualify row_number() over (
    partition by table_id, area, period, cast(dimensions as string), measure
    order by vintage desc, loaded_at desc, file_name desc
) = 1
