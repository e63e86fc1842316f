-- One row per vintage, person and month in which the person belongs to a target group
-- (DESIGN §3.1): the person-months of the vintage's benefits snapshot, with whether the
-- vintage's earnings snapshot shows ordinary hours that month.
-- A view: the person-level rows are stored once per benefits snapshot
-- (int_benefit_person_months), and int_success_counts_by_vintage reads this view for the
-- vintages it builds, whose filter DuckDB takes down to the snapshot and earnings scans.
{{ config(materialized='view') }}

with vintages as (
    select * from {{ ref('int_register_vintages') }}
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
    v.vintage,
    p.person_id,
    p.month,
    p.target_group,
    p.municipality_code,
    p.has_company_activity,
    coalesce(h.ordinary_hours, 0) > 0 as has_ordinary_hours,
    v.inputs_fingerprint
from {{ ref('int_benefit_person_months') }} as p
inner join vintages as v
    on p.vintage = v.benefits_vintage
left join hours as h
    on v.vintage = h.vintage
    and p.person_id = h.person_id
    and p.month = h.month
