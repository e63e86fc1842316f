-- Success-criteria counts summed over each evaluation window, per municipality and group.
-- Shares over a window are Σ n / Σ population (DESIGN §3.2), so the sums are kept, not shares.
with monthly as (
    select * from {{ ref('success_criteria_monthly') }}
),

windows as (
    select * from {{ ref('evaluation_windows') }}
),

participants as (
    select municipality_code from {{ ref('stg_star__participants') }}
)

select
    m.municipality_code,
    m.municipality_code in (select p.municipality_code from participants as p) as is_participant,
    m.target_group,
    w.evaluation_window,
    count(*) as months,
    count(*) filter (where m.provisional) as provisional_months,
    sum(m.population) as population,
    sum(m.n_company) as n_company,
    sum(m.n_hours) as n_hours,
    sum(m.n_either) as n_either
from monthly as m
inner join windows as w
    on m.month between w.start_date and w.end_date
group by all
