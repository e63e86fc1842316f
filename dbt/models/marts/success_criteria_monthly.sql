-- DESIGN §3.1: success criteria per municipality × month × target group, plus 'alle' pooled,
-- from the newest register vintage, each row flagged provisional or final and why (§3.6).
-- n_hours, n_either and their shares are NULL when no earnings snapshot existed yet.
with counts as (
    select c.*
    from {{ ref('int_success_counts_by_vintage') }} as c
    inner join {{ ref('int_register_vintages') }} as v
        on c.vintage = v.vintage
    where v.is_newest
)

select
    cast(c.municipality_code as integer) as municipality_code,
    cast(c.month as date) as month,
    cast(c.target_group as string) as target_group,
    cast(c.population as bigint) as population,
    cast(c.n_company as bigint) as n_company,
    cast(c.n_hours as bigint) as n_hours,
    cast(c.n_either as bigint) as n_either,
    cast(c.n_company as double) / c.population as share_company,
    cast(c.n_hours as double) / c.population as share_hours,
    cast(c.n_either as double) / c.population as share_either,
    cast(s.provisional as boolean) as provisional,
    cast(s.provisional_reason as string) as provisional_reason,
    cast(s.revised_measure as string) as revised_measure,
    cast(s.revised_vintage as date) as revised_vintage
from counts as c
inner join {{ ref('int_month_status') }} as s
    on c.municipality_code = s.municipality_code
    and c.month = s.month
    and c.target_group = s.target_group
