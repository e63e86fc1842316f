-- How late each vintage's person-weeks were registered, per municipality (DESIGN §3.6).
-- Incremental by vintage like int_person_months: a vintage's lags are computed once.
{{
    config(
        materialized='incremental',
        unique_key='vintage',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        post_hook="{{ delete_vanished_vintages() }}",
    )
}}

with vintages as (
    {{ vintages_to_build() }}
),

settings as (
    select * from {{ ref('evaluation_settings') }}
)

select
    w.municipality_code,
    w.vintage,
    count(*) as person_weeks,
    round(median(w.registration_lag_days), 2) as lag_median_days,
    round(quantile_cont(w.registration_lag_days, 0.9), 2) as lag_p90_days,
    round(quantile_cont(w.registration_lag_days, 0.99), 2) as lag_p99_days,
    avg(case when w.registration_lag_days > s.late_registration_days then 1.0 else 0.0 end)
        as share_over_8_weeks,
    v.inputs_fingerprint
from {{ ref('stg_register__benefit_weeks') }} as w
inner join vintages as v
    on w.vintage = v.vintage
cross join settings as s
group by w.municipality_code, w.vintage, v.inputs_fingerprint
