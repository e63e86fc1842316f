-- DESIGN §2.7: the Jobindsats figures the seed jobindsats_measures maps to a target group and
-- metric, per municipality and month. A figure matches a mapping when its table and measure
-- agree, every dimension named in the filter has the filter's value, and every other
-- dimension is at its total: one figure per area and period, never a total beside its parts.
with observations as (
    select
        row_number() over () as observation_id,
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
    from mappings as m,
        unnest(string_split(coalesce(m.dimension_filter, ''), ';')) as p (pair)
    where trim(p.pair) <> ''
),

observation_dimensions as (
    select
        o.observation_id,
        lower(trim(k.dimension)) as dimension,
        lower(trim(o.dimensions ->> k.dimension)) as dimension_value
    from observations as o,
        unnest(json_keys(o.dimensions)) as k (dimension)
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
    anti join observation_dimensions as d
        on c.observation_id = d.observation_id
        and f.dimension = d.dimension
),

matched as (
    select * from candidates
    anti join mismatches
        using (observation_id, mapping_id)
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
