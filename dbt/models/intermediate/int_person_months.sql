-- One row per vintage, person and month in which the person belongs to a target group,
-- applying the rules of DESIGN §3.1.
with vintages as (
    select * from {{ ref('int_register_vintages') }}
),

weeks as (
    select
        v.vintage,
        w.person_id,
        w.month,
        w.week_monday,
        w.municipality_code,
        b.target_group,
        coalesce(a.counts_as_company_oriented, false) as is_company_oriented
    from {{ ref('stg_register__benefit_weeks') }} as w
    inner join vintages as v
        on w.vintage = v.benefits_vintage
    left join {{ ref('benefit_codes') }} as b
        on w.benefit_code = b.benefit_code
    left join {{ ref('activation_codes') }} as a
        on w.activation_code = a.activation_code
),

group_weeks as (
    select
        vintage,
        person_id,
        month,
        target_group,
        count(*) as n_weeks
    from weeks
    where target_group is not null
    group by all
),

-- the group with most weeks wins; ties go to the order of target_groups (priority)
winning_group as (
    select
        g.vintage,
        g.person_id,
        g.month,
        g.target_group
    from group_weeks as g
    inner join {{ ref('target_groups') }} as t
        on g.target_group = t.target_group
    qualify row_number() over (
        partition by g.vintage, g.person_id, g.month
        order by g.n_weeks desc, t.priority asc
    ) = 1
),

-- the municipality of the person's last target-group week in the month
last_municipality as (
    select
        vintage,
        person_id,
        month,
        arg_max(municipality_code, week_monday) as municipality_code
    from weeks
    where target_group is not null
    group by all
),

-- company-oriented activity in any week of the month, not only target-group weeks
company_activity as (
    select
        vintage,
        person_id,
        month,
        bool_or(is_company_oriented) as has_company_activity
    from weeks
    group by all
),

hours as (
    select
        v.vintage,
        e.person_id,
        e.month,
        sum(e.ordinary_hours) as ordinary_hours
    from {{ ref('stg_register__earnings') }} as e
    inner join vintages as v
        on e.vintage = v.earnings_vintage
    group by all
)

select
    g.vintage,
    g.person_id,
    g.month,
    g.target_group,
    m.municipality_code,
    c.has_company_activity,
    coalesce(h.ordinary_hours, 0) > 0 as has_ordinary_hours
from winning_group as g
inner join last_municipality as m
    using (vintage, person_id, month)
inner join company_activity as c
    using (vintage, person_id, month)
left join hours as h
    using (vintage, person_id, month)
