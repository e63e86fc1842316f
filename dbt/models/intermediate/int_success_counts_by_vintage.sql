-- The success-criteria counts of DESIGN §3.1 in every register vintage, so that revisions
-- between vintages can be measured; success_criteria_monthly shows the newest.
select
    vintage,
    municipality_code,
    month,
    -- each person has one group a month, so 'alle' counts every person once
    coalesce(target_group, 'alle') as target_group,
    count(*) as population,
    count(*) filter (where has_company_activity) as n_company,
    count(*) filter (where has_ordinary_hours) as n_hours,
    count(*) filter (where has_company_activity or has_ordinary_hours) as n_either
from {{ ref('int_person_months') }}
group by grouping sets (
    (vintage, municipality_code, month, target_group),
    (vintage, municipality_code, month)
)
