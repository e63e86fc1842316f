-- The revisions with the month's status in the newest vintage, joined once for the marts that
-- need both (registration_revisions, the completion factors and the nowcast).
select
    r.*,
    r.vintage = v.vintage as is_newest_vintage,
    s.provisional,
    s.provisional_reason,
    s.revised_measure,
    s.revised_vintage
from {{ ref('int_revisions') }} as r
inner join {{ ref('int_month_status') }} as s
    on r.municipality_code = s.municipality_code
    and r.month = s.month
    and r.target_group = s.target_group
cross join (select vintage from {{ ref('int_register_vintages') }} where is_newest) as v
