-- Each success count in each vintage next to its value in the previous vintage in which the
-- measure is known (DESIGN §3.6). A measure reads the benefits snapshot (population,
-- n_company) or both snapshots (n_hours, n_either) paired with the vintage; it is unknown
-- (NULL) in a vintage lacking one of them, or whose snapshot of it was taken before the month
-- began. A key missing from a snapshot taken after its month began counts 0 there (nothing
-- registered yet).
with counts as (
    select * from {{ ref('int_success_counts_by_vintage') }}
),

vintages as (
    select vintage, benefits_vintage, earnings_vintage from {{ ref('int_register_vintages') }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

measures as (
    select measure, reads_earnings as needs_earnings from {{ ref('register_measures') }}
),

keys as (
    select distinct municipality_code, month, target_group from counts
),

grid as (
    select k.municipality_code, k.month, k.target_group, v.vintage, v.benefits_vintage,
        v.earnings_vintage
    from keys as k
    inner join vintages as v
        on k.month <= v.vintage
),

-- a measure is known in a vintage when every snapshot it reads exists then and was taken
-- after the month began (an older snapshot cannot hold the month: its 0 would be no count)
grid_measures as (
    select
        g.*,
        m.measure,
        -- the earnings snapshot this measure reads (none for the benefits-only measures)
        case when m.needs_earnings then g.earnings_vintage end as measure_earnings_vintage,
        coalesce(
            g.month <= g.benefits_vintage
                and (not m.needs_earnings or g.month <= g.earnings_vintage),
            false
        ) as is_known
    from grid as g
    cross join measures as m
),

values_long as (
    select
        g.municipality_code,
        g.month,
        g.target_group,
        g.vintage,
        g.benefits_vintage,
        g.earnings_vintage,
        g.measure,
        g.measure_earnings_vintage,
        g.is_known,
        case
            when g.is_known then coalesce(
                case g.measure
                    when 'population' then c.population
                    when 'n_company' then c.n_company
                    when 'n_hours' then c.n_hours
                    when 'n_either' then c.n_either
                end,
                0
            )
        end as value
    from grid_measures as g
    left join counts as c
        on g.municipality_code = c.municipality_code
        and g.month = c.month
        and g.target_group = c.target_group
        and g.vintage = c.vintage
),

-- the previous vintage is the previous one in which the measure is known
known_history as (
    select
        municipality_code,
        month,
        target_group,
        measure,
        vintage,
        lag(vintage) over key_history as previous_vintage,
        lag(value) over key_history as previous_value,
        lag(benefits_vintage) over key_history as previous_benefits_vintage,
        lag(measure_earnings_vintage) over key_history as previous_earnings_vintage
    from values_long
    where is_known
    window key_history as (
        partition by municipality_code, month, target_group, measure order by vintage
    )
),

compared as (
    select
        l.*,
        h.previous_vintage,
        h.previous_value,
        h.previous_benefits_vintage,
        h.previous_earnings_vintage,
        -- which of the snapshots this measure reads differ from those of the previous value;
        -- NULL when none does: the vintage only brought the other register's snapshot
        case
            when h.previous_vintage is null then null
            when l.benefits_vintage <> h.previous_benefits_vintage
                and l.measure_earnings_vintage <> h.previous_earnings_vintage then 'both'
            when l.benefits_vintage <> h.previous_benefits_vintage then 'benefits'
            when l.measure_earnings_vintage <> h.previous_earnings_vintage then 'earnings'
        end as changed_snapshots
    from values_long as l
    left join known_history as h
        on l.municipality_code = h.municipality_code
        and l.month = h.month
        and l.target_group = h.target_group
        and l.measure = h.measure
        and l.vintage = h.vintage
)

select
    c.municipality_code,
    c.month,
    c.target_group,
    c.measure,
    c.vintage,
    c.benefits_vintage,
    c.earnings_vintage,
    c.value,
    c.previous_vintage,
    c.previous_value,
    c.changed_snapshots,
    c.value - c.previous_value as revision_abs,
    cast(c.value - c.previous_value as double) / nullif(c.previous_value, 0) as revision_rel,
    -- a revision "exceeds" when relatively larger than the threshold, or when a value
    -- appears where the previous snapshot had none
    coalesce(
        abs(cast(c.value - c.previous_value as double) / nullif(c.previous_value, 0))
            > s.revision_threshold
        or (c.previous_value = 0 and c.value > 0),
        false
    ) as exceeds_threshold,
    -- the newest vintage whose snapshots changed this measure's inputs: its last revision
    coalesce(
        c.vintage = max(c.vintage) filter (where c.changed_snapshots is not null) over (
            partition by c.municipality_code, c.month, c.target_group, c.measure
        ),
        false
    ) as is_latest_revision,
    -- whole months between the month's end and the vintage (0 = the vintage was taken
    -- in the month right after)
    {{ calendar_months_between('c.month', 'c.vintage') }} - 1 as lag_months,
    -- the month had already ended maturity_months before the snapshot(s) the previous value
    -- was read from (not the previous vintage's date: that may only have brought the other
    -- register's snapshot)
    coalesce(
        not {{ month_is_immature(
            'c.month',
            's.maturity_months',
            'least(c.previous_benefits_vintage, '
                ~ 'coalesce(c.previous_earnings_vintage, c.previous_benefits_vintage))'
        ) }},
        false
    ) as mature_at_previous
from compared as c
cross join settings as s
