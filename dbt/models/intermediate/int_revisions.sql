-- Each success count in each vintage next to its value in the previous vintage.
-- A month is compared from the first vintage taken after it began; a key missing from a
-- vintage in which its month had begun counts 0 there (nothing registered yet).
with counts as (
    select * from {{ ref('int_success_counts_by_vintage') }}
),

vintages as (
    select vintage from {{ ref('int_register_vintages') }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

grid as (
    select distinct c.municipality_code, c.month, c.target_group, v.vintage
    from counts as c
    inner join vintages as v
        on c.month <= v.vintage
),

values_long as (
    select
        g.municipality_code,
        g.month,
        g.target_group,
        g.vintage,
        m.measure,
        coalesce(
            case m.measure
                when 'population' then c.population
                when 'n_company' then c.n_company
                when 'n_hours' then c.n_hours
                when 'n_either' then c.n_either
            end,
            0
        ) as value
    from grid as g
    cross join (values ('population'), ('n_company'), ('n_hours'), ('n_either')) as m(measure)
    left join counts as c
        on g.municipality_code = c.municipality_code
        and g.month = c.month
        and g.target_group = c.target_group
        and g.vintage = c.vintage
),

with_previous as (
    select
        *,
        lag(vintage) over key_history as previous_vintage,
        lag(value) over key_history as previous_value
    from values_long
    window key_history as (
        partition by municipality_code, month, target_group, measure order by vintage
    )
)

select
    w.municipality_code,
    w.month,
    w.target_group,
    w.measure,
    w.vintage,
    w.value,
    w.previous_vintage,
    w.previous_value,
    w.value - w.previous_value as revision_abs,
    cast(w.value - w.previous_value as double) / nullif(w.previous_value, 0) as revision_rel,
    -- a revision "exceeds" when relatively larger than the threshold, or when a value
    -- appears where the previous vintage had none
    coalesce(
        abs(cast(w.value - w.previous_value as double) / nullif(w.previous_value, 0))
            > s.revision_threshold
        or (w.previous_value = 0 and w.value > 0),
        false
    ) as exceeds_threshold,
    -- whole months between the month's end and the vintage (0 = the vintage was taken
    -- in the month right after)
    {{ calendar_months_between('w.month', 'w.vintage') }} - 1 as lag_months,
    -- the month had ended at least maturity_months before the previous vintage
    coalesce(
        {{ add_months('last_day(w.month)', 's.maturity_months') }} <= w.previous_vintage, false
    ) as mature_at_previous
from with_previous as w
cross join settings as s
