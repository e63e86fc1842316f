-- DESIGN §3.6: how late person-weeks are registered, per municipality and vintage.
with lags as (
    select * from {{ ref('int_registration_lags_by_vintage') }}
),
-- the benefits snapshot the newest vintage uses (the newest vintage itself may be a date with
-- only an earnings file, which has no registration lags)
newest_benefits as (
    select benefits_vintage as vintage from {{ ref('int_register_vintages') }} where is_newest
)
select
    cast(l.municipality_code as integer) as municipality_code,
    cast(l.vintage as date) as vintage,
    cast(l.vintage = n.vintage as boolean) as is_newest_vintage,
    cast(l.person_weeks as bigint) as person_weeks,
    cast(l.lag_median_days as double) as lag_median_days,
    cast(l.lag_p90_days as double) as lag_p90_days,
    cast(l.lag_p99_days as double) as lag_p99_days,
    cast(l.share_over_8_weeks as double) as share_over_8_weeks,
    -- lags are complete only for weeks old enough; a vintage's own recent weeks are censored
    false as provisional
from lags as l
cross join newest_benefits as n
