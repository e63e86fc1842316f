with source as (
    select * from {{ source('raw', 'implementation_survey') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by respondent_id, wave, item order by _loaded_at desc
    ) = 1
)

select
    respondent_id,
    municipality_code,
    wave,
    role,
    case
        when role in ('leder', 'projektleder') then 'management'
        else 'staff'
    end as respondent_group,
    item as requirement,
    -- NULL is "ved ikke" (don't know) and counts in no mean
    score
from latest
