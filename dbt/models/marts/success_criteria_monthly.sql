-- DESIGN §3.1: success criteria per municipality × month × target group, plus 'alle' pooled,
-- from the newest register vintage.
with person_months as (
    select p.*
    from {{ ref('int_person_months') }} as p
    inner join {{ ref('int_register_vintages') }} as v
        on p.vintage = v.vintage
    where v.is_newest
),

counts as (
    select
        municipality_code,
        month,
        -- each person has one group a month, so 'alle' counts every person once
        coalesce(target_group, 'alle') as target_group,
        count(*) as population,
        count(*) filter (where has_company_activity) as n_company,
        count(*) filter (where has_ordinary_hours) as n_hours,
        count(*) filter (where has_company_activity or has_ordinary_hours) as n_either
    from person_months
    group by grouping sets ((municipality_code, month, target_group), (municipality_code, month))
)

select
    cast(municipality_code as integer) as municipality_code,
    cast(month as date) as month,
    cast(target_group as varchar) as target_group,
    cast(population as bigint) as population,
    cast(n_company as bigint) as n_company,
    cast(n_hours as bigint) as n_hours,
    cast(n_either as bigint) as n_either,
    cast(n_company as double) / population as share_company,
    cast(n_hours as double) / population as share_hours,
    cast(n_either as double) / population as share_either
from counts
