-- The success-criteria counts of DESIGN §3.1 in every register vintage, so that revisions
-- between vintages can be measured; success_criteria_monthly shows the newest.
-- A vintage's persons are its benefits snapshot's person-months (int_benefit_person_months),
-- with the ordinary hours of its earnings snapshot. A vintage with no earnings snapshot on or
-- before it cannot know who had paid hours: n_hours and n_either are unknown (NULL) there,
-- never 0 (DESIGN §3.6).
-- Incremental by vintage: the person-months are paired and counted once per vintage, when it
-- is new or its inputs changed; only the counts are stored per vintage, never person rows.
{{ config(post_hook="{{ delete_vanished_vintages() }}") }}

with vintages as (
    {{ vintages_to_build() }}
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
),

person_months as (
    select
        v.vintage,
        p.municipality_code,
        p.month,
        p.target_group,
        p.has_company_activity,
        coalesce(h.ordinary_hours, 0) > 0 as has_ordinary_hours
    from {{ ref('int_benefit_person_months') }} as p
    inner join vintages as v
        on p.vintage = v.benefits_vintage
    left join hours as h
        on v.vintage = h.vintage
        and p.person_id = h.person_id
        and p.month = h.month
),

counts as (
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
    from person_months
    group by grouping sets (
        (vintage, municipality_code, month, target_group),
        (vintage, municipality_code, month)
    )
)

select
    c.vintage,
    v.benefits_vintage,
    v.earnings_vintage,
    c.municipality_code,
    c.month,
    c.target_group,
    c.population,
    c.n_company,
    case when v.earnings_vintage is not null then c.n_hours end as n_hours,
    case when v.earnings_vintage is not null then c.n_either end as n_either,
    v.inputs_fingerprint,
    {{ this_invocation() }} as built_by_invocation
from counts as c
inner join vintages as v
    on c.vintage = v.vintage
