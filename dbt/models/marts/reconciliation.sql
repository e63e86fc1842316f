-- DESIGN §3.6: the municipalities' own count of active company placements against the
-- register's count of persons with a company-oriented activity in the week of the count.
with monitoring as (
    -- the jobcentre's own count, or its providers' sum when it delivered none (DESIGN §2.3)
    select
        municipality_code,
        extract_date,
        monitoring_count as municipal_count,
        count_source as municipal_count_source
    from {{ ref('int_monitoring_counts') }}
    where measure = 'active_company_placements'
),

newest as (
    select vintage, benefits_vintage from {{ ref('int_register_vintages') }} where is_newest
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

company_weeks as (
    select
        w.municipality_code,
        w.week_monday,
        w.week_sunday,
        w.person_id
    from {{ ref('stg_register__benefit_weeks') }} as w
    inner join newest as n
        on w.vintage = n.benefits_vintage
    inner join {{ ref('activation_codes') }} as a
        on w.activation_code = a.activation_code
    where a.counts_as_company_oriented
),

compared as (
    select
        m.municipality_code,
        m.extract_date,
        m.municipal_count,
        m.municipal_count_source,
        count(distinct c.person_id) as register_count
    from monitoring as m
    left join company_weeks as c
        on m.municipality_code = c.municipality_code
        and m.extract_date between c.week_monday and c.week_sunday
    -- the register cannot speak of dates after its newest extract
    where m.extract_date <= (select vintage from newest)
    group by all
)

select
    cast(c.municipality_code as integer) as municipality_code,
    cast(c.extract_date as date) as extract_date,
    cast(c.municipal_count as bigint) as municipal_count,
    cast(c.municipal_count_source as string) as municipal_count_source,
    cast(c.register_count as bigint) as register_count,
    cast(n.benefits_vintage as date) as register_vintage,
    cast(
        cast(c.municipal_count - c.register_count as double) / nullif(c.register_count, 0)
        as double
    ) as gap_rel,
    cast(
        coalesce(
            abs(cast(c.municipal_count - c.register_count as double)
                / nullif(c.register_count, 0)) > s.reconciliation_gap_threshold,
            c.municipal_count > 0
        ) as boolean
    ) as flagged,
    -- the register's count for a recent week can still grow: the week's month is immature
    cast(
        {{ month_is_immature(week_month('c.extract_date'), 's.maturity_months', 'n.vintage') }}
        as boolean
    ) as provisional,
    -- (the alias above: DuckDB reads a select list's earlier aliases)
    cast(case when provisional then 'too_recent' end as string) as provisional_reason
from compared as c
cross join newest as n
cross join settings as s
