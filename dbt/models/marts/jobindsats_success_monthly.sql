-- DESIGN §2.7: the success criteria as far as the mapped Jobindsats tables allow, per
-- municipality × month × target group. Each figure comes from its own table, so a person is
-- not de-duplicated across them (deduplicated = false on every row), and the portal revises
-- its recent months: a month is provisional until maturity_months after it ended, counted
-- from the download its figures come from.
with metrics as (
    select * from {{ ref('int_jobindsats__metrics') }}
),

settings as (
    select maturity_months from {{ ref('evaluation_settings') }}
),

pivoted as (
    select
        municipality_code,
        month,
        target_group,
        max(value) filter (where metric = 'population') as population,
        max(value) filter (where metric = 'n_company') as n_company,
        max(value) filter (where metric = 'n_hours') as n_hours,
        {{ sorted_string_agg('table_id', "', '", distinct=true) }} as source_tables,
        max(vintage) as vintage
    from metrics
    group by municipality_code, month, target_group
)

select
    cast(p.municipality_code as integer) as municipality_code,
    cast(p.month as date) as month,
    cast(p.target_group as string) as target_group,
    cast(p.population as bigint) as population,
    cast(p.n_company as bigint) as n_company,
    cast(p.n_hours as bigint) as n_hours,
    cast(p.n_company as double) / nullif(p.population, 0) as share_company,
    cast(p.n_hours as double) / nullif(p.population, 0) as share_hours,
    false as deduplicated,
    cast({{ month_is_immature("p.month", "s.maturity_months", "p.vintage") }} as boolean) as provisional,
    cast(p.vintage as date) as vintage,
    cast(p.source_tables as string) as source_tables
from pivoted as p
cross join settings as s
