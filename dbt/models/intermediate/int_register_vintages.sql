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
)

select
    v.vintage,
    (select max(b.vintage) from benefit_vintages as b where b.vintage <= v.vintage) as benefits_vintage,
    (select max(e.vintage) from earnings_vintages as e where e.vintage <= v.vintage) as earnings_vintage,
    v.vintage = (select max(vintage) from all_vintages) as is_newest
from all_vintages as v
