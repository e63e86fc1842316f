-- DESIGN §3.6: whether each municipality × month × target group is still provisional in the
-- newest vintage, and why: the month ended less than maturity_months before the newest
-- extract date ('too_recent'), or the last revision of one of its measures (the newest
-- vintage whose snapshots changed that measure's inputs) exceeded the threshold ('revised',
-- with the measure and vintage of the largest such revision). The reasons are codes (seed
-- vocabulary, category provisional_reason): the workbook and the report say them in Danish,
-- programs read the codes.
with newest as (
    select vintage from {{ ref('int_register_vintages') }} where is_newest
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

revisions as (
    select * from {{ ref('int_revisions') }}
),

keys as (
    select distinct r.municipality_code, r.month, r.target_group
    from revisions as r
    inner join newest as n
        on r.vintage = n.vintage
),

last_revisions as (
    select
        municipality_code,
        month,
        target_group,
        bool_or(exceeds_threshold) as last_revision_exceeds,
        max(abs(revision_rel)) as last_revision_rel_max,
        -- the largest exceeding revision explains the flag, by its measure and vintage; a value
        -- that appeared from 0 has no relative size and ranks first; ties on the size go to the
        -- measure's name, so the reason never depends on order
        {{ value_of_first('measure', ['-coalesce(abs(revision_rel), 1e300)', 'measure']) }}
            filter (where exceeds_threshold) as revised_measure,
        {{ value_of_first('vintage', ['-coalesce(abs(revision_rel), 1e300)', 'measure']) }}
            filter (where exceeds_threshold) as revised_vintage
    from revisions
    where is_latest_revision
    group by all
),

statuses as (
    select
        k.municipality_code,
        k.month,
        k.target_group,
        {{ month_is_immature('k.month', 's.maturity_months', 'n.vintage') }} as too_recent,
        coalesce(l.last_revision_exceeds, false) as last_revision_exceeds,
        l.last_revision_rel_max,
        l.revised_measure,
        l.revised_vintage
    from keys as k
    left join last_revisions as l
        on k.municipality_code = l.municipality_code
        and k.month = l.month
        and k.target_group = l.target_group
    cross join newest as n
    cross join settings as s
)

select
    municipality_code,
    month,
    target_group,
    too_recent,
    last_revision_exceeds,
    last_revision_rel_max,
    too_recent or last_revision_exceeds as provisional,
    nullif(
        concat_ws(
            '+',
            case when too_recent then 'too_recent' end,
            case when last_revision_exceeds then 'revised' end
        ),
        ''
    ) as provisional_reason,
    revised_measure,
    revised_vintage
from statuses
