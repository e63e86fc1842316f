-- Every register extract date, and for each the benefit and earnings snapshots in force then.
-- A vintage is a full snapshot, so a date with only an earnings file still pairs it with the
-- newest benefits snapshot before it (and vice versa).
with benefit_vintages as (
    select distinct vintage from {{ ref('stg_register__benefit_weeks') }}
),

earnings_vintages as (
    select distinct vintage from {{ ref('stg_register__earnings') }}
),

all_vintages as (
    select vintage from benefit_vintages
    union
    select vintage from earnings_vintages
),

-- when each snapshot's files were (re)loaded
loads as (
    select input_source, vintage, max(loaded_at) as loaded_at
    from {{ ref('stg_pipeline__file_log') }}
    where replaced_at is null
    group by all
),

-- the reference data the person-level rules read: a change in it changes every vintage's result
reference_version as (
    select md5({{ sorted_string_agg('row_text', "'|'") }}) as version
    from (
        select 'benefit_codes ' || {{ row_as_text('r') }} as row_text
        from {{ ref('benefit_codes') }} as r
        union all
        select 'activation_codes ' || {{ row_as_text('r') }} from {{ ref('activation_codes') }} as r
        union all
        select 'target_groups ' || {{ row_as_text('r') }} from {{ ref('target_groups') }} as r
        union all
        select 'evaluation_settings ' || {{ row_as_text('r') }}
        from {{ ref('evaluation_settings') }} as r
    )
),

paired as (
    select
        v.vintage,
        (select max(b.vintage) from benefit_vintages as b where b.vintage <= v.vintage)
            as benefits_vintage,
        (select max(e.vintage) from earnings_vintages as e where e.vintage <= v.vintage)
            as earnings_vintage,
        v.vintage = (select max(vintage) from all_vintages) as is_newest
    from all_vintages as v
)

select
    p.vintage,
    p.benefits_vintage,
    p.earnings_vintage,
    p.is_newest,
    -- what incremental models key on: the same files loaded at the same time, read with the
    -- same reference data, give the same result
    md5(concat_ws('|', p.vintage, b.loaded_at, e.loaded_at, r.version)) as inputs_fingerprint,
    -- the same for models of the benefits snapshot alone, shared by every vintage pairing it
    case
        when p.benefits_vintage is not null
            then md5(concat_ws('|', p.benefits_vintage, b.loaded_at, r.version))
    end as benefits_fingerprint
from paired as p
cross join reference_version as r
left join loads as b
    on b.input_source = 'register_benefits' and b.vintage = p.benefits_vintage
left join loads as e
    on e.input_source = 'register_earnings' and e.vintage = p.earnings_vintage
