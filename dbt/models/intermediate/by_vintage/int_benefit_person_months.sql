-- One row per benefits snapshot, person and month in which the person belongs to a target
-- group, applying the rules of DESIGN §3.1 that read the benefit weeks alone.
-- Incremental by benefits snapshot: a snapshot is computed once, however many vintages pair it
-- with an earnings snapshot (int_success_counts_by_vintage adds each vintage's hours), and
-- again only when one of its files is reloaded or the reference data changes.
{{ config(post_hook="{{ delete_vanished_vintages(snapshot='benefits') }}") }}

with snapshots as (
    {{ vintages_to_build(snapshot='benefits') }}
),

-- one pass over the person-weeks: per person, month and benefit group (null: no target group).
-- Groups are keyed by the group's integer priority, and the snapshot's fingerprint is joined
-- on at the end: both keep the hash tables small, which decides whether a national build of
-- several snapshots fits the memory limit or spills to disk.
person_month_groups as (
    select
        w.vintage,
        w.person_id,
        w.month,
        t.priority,
        count(*) as n_weeks,
        -- company-oriented activity counts in any week, not only target-group weeks
        bool_or(coalesce(a.counts_as_company_oriented, false)) as has_company_activity,
        max(w.week_monday) as last_week_monday,
        max_by(w.municipality_code, w.week_monday) as last_municipality_code
    from {{ ref('stg_register__benefit_weeks') }} as w
    inner join snapshots as s
        on w.vintage = s.vintage
    left join {{ ref('benefit_codes') }} as b
        on w.benefit_code = b.benefit_code
    left join {{ ref('target_groups') }} as t
        on b.target_group = t.target_group
    left join {{ ref('activation_codes') }} as a
        on w.activation_code = a.activation_code
    group by all
),

person_months as (
    select
        vintage,
        person_id,
        month,
        -- the group with most weeks wins; ties go to the lower priority
        max_by(priority, n_weeks * 1000 - priority) as priority,
        -- the municipality of the person's last target-group week in the month
        max_by(last_municipality_code, last_week_monday)
            filter (where priority is not null) as municipality_code,
        bool_or(has_company_activity) as has_company_activity
    from person_month_groups
    group by all
    having count(priority) > 0
)

select
    p.vintage,
    p.person_id,
    p.month,
    t.target_group,
    p.municipality_code,
    p.has_company_activity,
    s.inputs_fingerprint,
    {{ this_invocation() }} as built_by_invocation
from person_months as p
inner join snapshots as s
    on p.vintage = s.vintage
inner join {{ ref('target_groups') }} as t
    on p.priority = t.priority
