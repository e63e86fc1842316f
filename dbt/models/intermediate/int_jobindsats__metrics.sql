-- DESIGN §2.7: the Jobindsats figures the seed jobindsats_measures maps to a target group and
-- metric, per municipality and month. A figure matches a mapping when its table and measure
-- agree, every dimension named in the filter has the filter's value, and every other
-- dimension is at its total: one figure per area and period, never a total beside its parts.
with observations as (
    select
        -- (Spark numbers only ordered rows; each figure is one row, newest_observations)
        row_number() over (
            order by table_id, area, period, cast(dimensions as string), measure
        ) as observation_id,
        *
    from {{ ref('int_jobindsats__newest_observations') }}
    where municipality_code is not null
        and period_type = 'month'
),

mappings as (
    select
        row_number() over (order by table_id, dimension_filter, measure, target_group, metric) as mapping_id,
        *
    from {{ ref('jobindsats_measures') }}
),

filter_pairs as (
    select
        m.mapping_id,
        lower(trim(split_part(p.pair, '=', 1))) as dimension,
        lower(trim(split_part(p.pair, '=', 2))) as dimension_value
    from mappings as m
        {{ one_row_per_element(split_text("coalesce(m.dimension_filter, '')", "';'"), 'p', 'pair') }}
    where trim(p.pair) <> ''
),

observation_dimensions as (
    select
        o.observation_id,
        lower(trim(k.dimension)) as dimension,
        lower(trim({{ json_text_value('o.dimensions', 'k.dimension') }})) as dimension_value
    from observations as o
        {{ one_row_per_element(json_object_keys('o.dimensions'), 'k', 'dimension') }}
),

candidates as (
    select
        o.observation_id,
        m.mapping_id
    from observations as o
    inner join mappings as m
        on upper(o.table_id) = upper(m.table_id)
        and (lower(o.measure) = lower(trim(m.measure)) or lower(o.measure_name) = lower(trim(m.measure)))
),

mismatches as (
    -- a dimension off the filter's value, or not in the filter and not at its total
    select
        c.observation_id,
        c.mapping_id
    from candidates as c
    inner join observation_dimensions as d
        on c.observation_id = d.observation_id
    left join filter_pairs as f
        on c.mapping_id = f.mapping_id
        and d.dimension = f.dimension
    where (f.dimension is null and not {{ jobindsats_is_total_value('d.dimension_value') }})
        or f.dimension_value <> d.dimension_value

    union all

    -- a filter naming a dimension the table does not have
    select
        c.observation_id,
        c.mapping_id
    from candidates as c
    inner join filter_pairs as f
        on c.mapping_id = f.mapping_id
    where not exists (
        select 1
        from observation_dimensions as d
        where c.observation_id = d.observation_id
            and f.dimension = d.dimension
    )
),

matched as (
    select * from candidates as c
    where not exists (
        select 1
        from mismatches as x
        where c.observation_id = x.observation_id
            and c.mapping_id = x.mapping_id
    )
)

select
    o.municipality_code,
    o.period_start as month,
    m.target_group,
    m.metric,
    o.value,
    o.table_id,
    o.vintage
from matched as x
inner join observations as o
    on x.observation_id = o.observation_id
inner join mappings as m
    on x.mapping_id = m.mapping_id
