-- DESIGN §3.3: implementation fidelity per municipality × wave × respondent group.
-- "Ved ikke" (no score) counts in no mean and no respondent count.
-- Reproducible to the last bit: a requirement mean is an integer sum over a count, and the
-- track and overall means add the requirement means in a fixed order (a parallel float sum
-- adds them in whatever order the threads finish).
with answers as (
    select * from {{ ref('stg_survey__implementation') }}
    where score is not null
),

requirements as (
    select * from {{ ref('requirements') }}
),

-- every answer counts in its own respondent group and in 'all'
grouped as (
    select municipality_code, wave, respondent_group, respondent_id, requirement, score
    from answers
    union all
    select municipality_code, wave, 'all' as respondent_group, respondent_id, requirement, score
    from answers
),

requirement_means as (
    select
        g.municipality_code,
        g.wave,
        g.respondent_group,
        g.requirement,
        r.track,
        cast(sum(g.score) as double) / count(g.score) as mean_score,
        count(distinct g.respondent_id) as n_respondents
    from grouped as g
    inner join requirements as r
        on g.requirement = r.requirement
    group by all
),

-- respondents answering any requirement of a track, and any requirement at all
track_respondents as (
    select
        g.municipality_code,
        g.wave,
        g.respondent_group,
        r.track,
        count(distinct g.respondent_id) as n_respondents
    from grouped as g
    inner join requirements as r
        on g.requirement = r.requirement
    group by g.municipality_code, g.wave, g.respondent_group, r.track
),

all_respondents as (
    select
        municipality_code,
        wave,
        respondent_group,
        count(distinct respondent_id) as n_respondents
    from grouped
    group by municipality_code, wave, respondent_group
),

-- a track's mean is the mean of its requirement means, so each requirement weighs the same
track_means as (
    select
        m.municipality_code,
        m.wave,
        m.respondent_group,
        'track_' || m.track as requirement,
        {{ mean_in_fixed_order('m.mean_score', 'm.requirement') }} as mean_score,
        t.n_respondents
    from requirement_means as m
    inner join track_respondents as t
        on m.municipality_code = t.municipality_code
        and m.wave = t.wave
        and m.respondent_group = t.respondent_group
        and m.track = t.track
    group by m.municipality_code, m.wave, m.respondent_group, m.track, t.n_respondents
),

-- overall is the mean of the requirement means (of those with at least one answer)
overall_means as (
    select
        m.municipality_code,
        m.wave,
        m.respondent_group,
        'overall' as requirement,
        {{ mean_in_fixed_order('m.mean_score', 'm.requirement') }} as mean_score,
        a.n_respondents
    from requirement_means as m
    inner join all_respondents as a
        on m.municipality_code = a.municipality_code
        and m.wave = a.wave
        and m.respondent_group = a.respondent_group
    group by m.municipality_code, m.wave, m.respondent_group, a.n_respondents
),

means as (
    select municipality_code, wave, respondent_group, requirement, mean_score, n_respondents
    from requirement_means
    union all
    select * from track_means
    union all
    select * from overall_means
)

select
    cast(e.municipality_code as integer) as municipality_code,
    cast(e.wave as string) as wave,
    cast(e.respondent_group as string) as respondent_group,
    cast(e.requirement as string) as requirement,
    cast(e.mean_score as double) as mean_score,
    cast(e.n_respondents as bigint) as n_respondents,
    -- endline minus baseline, on the endline row
    cast(case when e.wave = 'endline' then e.mean_score - b.mean_score end as double) as change,
    -- survey answers and municipal counts are not revised by register extracts
    false as provisional
from means as e
left join means as b
    on e.municipality_code = b.municipality_code
    and e.respondent_group = b.respondent_group
    and e.requirement = b.requirement
    and b.wave = 'baseline'
