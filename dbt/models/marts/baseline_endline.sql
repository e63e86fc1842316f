-- DESIGN §3.2: baseline versus endline per municipality and target group, for participants
-- and the comparison group pooled, and the difference-in-differences.
{%- set measures = ['company', 'hours', 'either'] %}
{%- set union_columns = ['scope', 'municipality_code', 'is_participant', 'target_group',
    'population_baseline', 'population_endline', 'provisional'] %}
{%- set changes_columns = ['scope', 'municipality_code', 'is_participant', 'target_group',
    'population_baseline', 'population_endline', 'provisional'] %}
{%- set did_columns = ['scope', 'municipality_code', 'is_participant', 'target_group',
    'provisional'] %}
{%- for m in measures %}
    {%- do union_columns.extend(['n_' ~ m ~ '_baseline', 'n_' ~ m ~ '_endline',
        'share_' ~ m ~ '_baseline', 'share_' ~ m ~ '_endline', 'change_pp_' ~ m,
        'relative_change_' ~ m]) %}
    {%- do changes_columns.extend(['n_' ~ m ~ '_baseline', 'n_' ~ m ~ '_endline',
        'share_' ~ m ~ '_baseline', 'share_' ~ m ~ '_endline', 'change_pp_' ~ m,
        'relative_change_' ~ m]) %}
    {%- do did_columns.extend(['share_' ~ m ~ '_baseline', 'share_' ~ m ~ '_endline',
        'change_pp_' ~ m]) %}
{%- endfor %}
with totals as (
    select * from {{ ref('int_success_window_totals') }}
),

scoped as (
    select
        'municipality' as scope,
        municipality_code,
        is_participant,
        target_group,
        evaluation_window,
        provisional_months,
        population,
        n_company,
        n_hours,
        n_either
    from totals
    union all
    select
        case when is_participant then 'participants' else 'comparison' end as scope,
        null as municipality_code,
        is_participant,
        target_group,
        evaluation_window,
        sum(provisional_months) as provisional_months,
        sum(population) as population,
        sum(n_company) as n_company,
        sum(n_hours) as n_hours,
        sum(n_either) as n_either
    from totals
    group by all
),

wide as (
    select
        scope,
        municipality_code,
        is_participant,
        target_group,
        {%- for window in ['baseline', 'endline'] %}
        sum(population) filter (where evaluation_window = '{{ window }}') as population_{{ window }},
        {%- for m in measures %}
        sum(n_{{ m }}) filter (where evaluation_window = '{{ window }}') as n_{{ m }}_{{ window }},
        {%- endfor %}
        {%- endfor %}
        sum(provisional_months) > 0 as provisional
    from scoped
    group by all
),

shares as (
    select
        *,
        {%- for m in measures %}
        {%- for window in ['baseline', 'endline'] %}
        cast(n_{{ m }}_{{ window }} as double) / nullif(population_{{ window }}, 0)
            as share_{{ m }}_{{ window }}{{ ',' if not loop.last }}
        {%- endfor %}{{ ',' if not loop.last }}
        {%- endfor %}
    from wide
),

changes as (
    select
        *,
        {%- for m in measures %}
        (share_{{ m }}_endline - share_{{ m }}_baseline) * 100 as change_pp_{{ m }},
        (share_{{ m }}_endline - share_{{ m }}_baseline)
            / nullif(share_{{ m }}_baseline, 0) as relative_change_{{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from shares
),

-- participants minus comparison: shares as differences in level, change_pp as the
-- difference-in-differences in percentage points
did as (
    select
        'did' as scope,
        null as municipality_code,
        null as is_participant,
        p.target_group,
        {%- for m in measures %}
        p.share_{{ m }}_baseline - c.share_{{ m }}_baseline as share_{{ m }}_baseline,
        p.share_{{ m }}_endline - c.share_{{ m }}_endline as share_{{ m }}_endline,
        p.change_pp_{{ m }} - c.change_pp_{{ m }} as change_pp_{{ m }},
        {%- endfor %}
        p.provisional or c.provisional as provisional
    from changes as p
    inner join changes as c
        on p.target_group = c.target_group
    where p.scope = 'participants' and c.scope = 'comparison'
),

-- the difference-in-differences has shares and changes only; a column list, not `union all
-- by name`, which is DuckDB's
unioned as (
    select
        {%- for column in union_columns %}
        {{ column if column in changes_columns else 'null as ' ~ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from changes
    union all
    select
        {%- for column in union_columns %}
        {{ column if column in did_columns else 'null as ' ~ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from did
)

select
    cast(scope as string) as scope,
    cast(municipality_code as integer) as municipality_code,
    cast(is_participant as boolean) as is_participant,
    cast(target_group as string) as target_group,
    cast(population_baseline as bigint) as population_baseline,
    cast(population_endline as bigint) as population_endline,
    {%- for m in measures %}
    cast(n_{{ m }}_baseline as bigint) as n_{{ m }}_baseline,
    cast(n_{{ m }}_endline as bigint) as n_{{ m }}_endline,
    cast(share_{{ m }}_baseline as double) as share_{{ m }}_baseline,
    cast(share_{{ m }}_endline as double) as share_{{ m }}_endline,
    cast(change_pp_{{ m }} as double) as change_pp_{{ m }},
    cast(relative_change_{{ m }} as double) as relative_change_{{ m }},
    {%- endfor %}
    cast(provisional as boolean) as provisional
from unioned
