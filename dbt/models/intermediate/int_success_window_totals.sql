-- Success-criteria counts summed over each evaluation window, per municipality and group.
-- Shares over a window are Σ n / Σ population (DESIGN §3.2), so the sums are kept, not shares.
-- Reads the newest vintage's counts and their month status, as success_criteria_monthly does,
-- so that no intermediate model depends on a mart.
with newest_counts as (
    select c.*
    from {{ ref('int_success_counts_by_vintage') }} as c
    inner join {{ ref('int_register_vintages') }} as v
        on c.vintage = v.vintage
    where v.is_newest
),

monthly as (
    select
        c.municipality_code,
        c.month,
        c.target_group,
        c.population,
        c.n_company,
        c.n_hours,
        c.n_either,
        s.provisional
    from newest_counts as c
    inner join {{ ref('int_month_status') }} as s
        on c.municipality_code = s.municipality_code
        and c.month = s.month
        and c.target_group = s.target_group
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
