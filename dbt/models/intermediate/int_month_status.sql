-- DESIGN §3.6: whether each municipality × month × target group is still provisional in the
-- newest vintage: the month ended less than maturity_months before the newest extract date,
-- or its last revision (newest vintage against the one before) exceeded the threshold.
with newest as (
    select vintage from {{ ref('int_register_vintages') }} where is_newest
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

last_revision as (
    select
        r.municipality_code,
        r.month,
        r.target_group,
        bool_or(r.exceeds_threshold) as last_revision_exceeds,
        max(abs(r.revision_rel)) as last_revision_rel_max
    from {{ ref('int_revisions') }} as r
    inner join newest as n
        on r.vintage = n.vintage
    group by all
)

select
    l.municipality_code,
    l.month,
    l.target_group,
    {{ add_months('last_day(l.month)', 's.maturity_months') }} > n.vintage as too_recent,
    l.last_revision_exceeds,
    l.last_revision_rel_max,
    ({{ add_months('last_day(l.month)', 's.maturity_months') }} > n.vintage)
        or l.last_revision_exceeds as provisional
from last_revision as l
cross join newest as n
cross join settings as s
