-- One row per person, ISO week and vintage, with the calendar facts the metrics need.
with source as (
    select * from {{ source('raw', 'register_benefits') }}
),

weeks as (
    select
        person_id,
        municipality_code,
        iso_week,
        {{ iso_week_monday('iso_week') }} as week_monday,
        benefit_code,
        activation_code,
        registered_date,
        extract_date as vintage,
        _file_name as file_name
    from source
)

select
    person_id,
    municipality_code,
    iso_week,
    week_monday,
    week_monday + 6 as week_sunday,
    -- a week belongs to the month of its Thursday (DESIGN §3.1)
    {{ week_month('week_monday') }} as month,
    benefit_code,
    activation_code,
    registered_date,
    {{ days_between('week_monday + 6', 'registered_date') }} as registration_lag_days,
    vintage,
    file_name
from weeks
