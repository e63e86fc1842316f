-- DESIGN §2.7: per loaded Jobindsats table, how many of its monthly municipal figures (from the
-- newest download of each) the seed jobindsats_measures carries into jobindsats_success_monthly.
with observations as (
    select * from {{ ref('int_jobindsats__newest_observations') }}
),

mapped as (
    select
        table_id,
        count(*) as mapped_figures
    from {{ ref('int_jobindsats__metrics') }}
    group by table_id
)

select
    o.table_id,
    count(*) as figures,
    count(*) filter (
        where o.municipality_code is not null and o.period_type = 'month'
    ) as monthly_municipal_figures,
    coalesce(any_value(m.mapped_figures), 0) as mapped_figures
from observations as o
left join mapped as m
    on o.table_id = m.table_id
group by o.table_id
