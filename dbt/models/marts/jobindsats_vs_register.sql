-- DESIGN §2.7: the Jobindsats shares beside the register's (§3.1) where both exist, with the
-- difference in percentage points (Jobindsats minus register).
with jobindsats as (
    select * from {{ ref('jobindsats_success_monthly') }}
),

register as (
    select * from {{ ref('success_criteria_monthly') }}
)

select
    j.municipality_code,
    j.month,
    j.target_group,
    j.population as population_jobindsats,
    r.population as population_register,
    j.n_company as n_company_jobindsats,
    r.n_company as n_company_register,
    j.n_hours as n_hours_jobindsats,
    r.n_hours as n_hours_register,
    j.share_company as share_company_jobindsats,
    r.share_company as share_company_register,
    cast(100 * (j.share_company - r.share_company) as double) as difference_pp_company,
    j.share_hours as share_hours_jobindsats,
    r.share_hours as share_hours_register,
    cast(100 * (j.share_hours - r.share_hours) as double) as difference_pp_hours,
    j.provisional or r.provisional as provisional
from jobindsats as j
inner join register as r
    on j.municipality_code = r.municipality_code
    and j.month = r.month
    and j.target_group = r.target_group
