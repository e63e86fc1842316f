-- DESIGN §3.6: how late person-weeks are registered, per municipality and vintage.
with weeks as (
    select * from {{ ref('stg_register__benefit_weeks') }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
),

vintages as (
    select vintage, is_newest from {{ ref('int_register_vintages') }}
)

select
    cast(w.municipality_code as integer) as municipality_code,
    cast(w.vintage as date) as vintage,
    cast(v.is_newest as boolean) as is_newest_vintage,
    cast(count(*) as bigint) as person_weeks,
    cast(round(median(w.registration_lag_days), 2) as double) as lag_median_days,
    cast(round(quantile_cont(w.registration_lag_days, 0.9), 2) as double) as lag_p90_days,
    cast(round(quantile_cont(w.registration_lag_days, 0.99), 2) as double) as lag_p99_days,
    cast(
        avg(case when w.registration_lag_days > s.late_registration_days then 1.0 else 0.0 end)
        as double
    ) as share_over_8_weeks,
    -- lags are complete only for weeks old enough; a vintage's own recent weeks are censored
    false as provisional
from weeks as w
inner join vintages as v
    on w.vintage = v.vintage
cross join settings as s
group by w.municipality_code, w.vintage, v.is_newest
