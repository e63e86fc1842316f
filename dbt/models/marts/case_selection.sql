-- DESIGN §3.4: which STV jobcentres become case studies.
with participants as (
    select municipality_code from {{ ref('stg_star__participants') }}
),

selection_groups as (
    select target_group from {{ ref('target_groups') }} where in_case_selection
),

settings as (
    select case_count from {{ ref('evaluation_settings') }}
),

-- share_either pooled over the selection groups: Σ n_either ÷ Σ population per window
success as (
    select
        municipality_code,
        (
            cast(sum(n_either) filter (where evaluation_window = 'endline') as double)
            / sum(population) filter (where evaluation_window = 'endline')
            - cast(sum(n_either) filter (where evaluation_window = 'baseline') as double)
            / sum(population) filter (where evaluation_window = 'baseline')
        ) * 100 as success_change,
        sum(provisional_months) > 0 as provisional
    from {{ ref('int_success_window_totals') }}
    where target_group in (select target_group from selection_groups)
    group by municipality_code
),

fidelity as (
    select
        municipality_code,
        max(change) filter (where respondent_group = 'management') as fidelity_change_management,
        max(change) filter (where respondent_group = 'staff') as fidelity_change_staff,
        max(change) filter (where respondent_group = 'all') as fidelity_change_all
    from {{ ref('implementation_fidelity') }}
    where requirement = 'overall' and wave = 'endline'
    group by municipality_code
),

-- rounded before ranking: two changes equal but for float noise in the last bits tie, on
-- every run (9 decimals is far below any difference in percentage points or scores)
combined as (
    select
        p.municipality_code,
        round(s.success_change, 9) as success_change,
        coalesce(s.provisional, false) as provisional,
        round(f.fidelity_change_management, 9) as fidelity_change_management,
        round(f.fidelity_change_staff, 9) as fidelity_change_staff,
        round(f.fidelity_change_all, 9) as fidelity_change_all
    from participants as p
    left join success as s using (municipality_code)
    left join fidelity as f using (municipality_code)
),

assessed as (
    select
        *,
        coalesce(
            success_change > 0
            and fidelity_change_management > 0
            and fidelity_change_staff > 0,
            false
        ) as eligible
    from combined
),

-- rank 1 = largest change; equal changes share a rank
ranked as (
    select
        *,
        case when eligible then
            rank() over (partition by eligible order by success_change desc nulls last)
        end as rank_success,
        case when eligible then
            rank() over (partition by eligible order by fidelity_change_all desc nulls last)
        end as rank_fidelity
    from assessed
),

ordered as (
    select
        *,
        (rank_success + rank_fidelity) / 2.0 as mean_rank,
        case when eligible then
            row_number() over (
                partition by eligible
                order by
                    rank_success + rank_fidelity nulls last,
                    success_change desc nulls last,
                    municipality_code
            )
        end as selection_order
    from ranked
)

select
    cast(o.municipality_code as integer) as municipality_code,
    cast(o.success_change as double) as success_change,
    cast(o.fidelity_change_management as double) as fidelity_change_management,
    cast(o.fidelity_change_staff as double) as fidelity_change_staff,
    cast(o.fidelity_change_all as double) as fidelity_change_all,
    cast(o.rank_success as integer) as rank_success,
    cast(o.rank_fidelity as integer) as rank_fidelity,
    cast(o.mean_rank as double) as mean_rank,
    cast(o.selection_order as integer) as selection_order,
    cast(o.eligible as boolean) as eligible,
    cast(coalesce(o.selection_order <= s.case_count, false) as boolean) as selected,
    -- in Danish: STAR reads the reason in the CSV, the workbook and the report
    cast(
        case
            when o.selection_order <= s.case_count then
                'udvalgt: nr. ' || cast(o.rank_success as string) || ' på resultater, nr. '
                || cast(o.rank_fidelity as string) || ' på implementering'
            when o.eligible then
                'opfylder kriterierne, ikke udvalgt: nr. ' || cast(o.rank_success as string)
                || ' på resultater, nr. ' || cast(o.rank_fidelity as string)
                || ' på implementering (gennemsnitlig rang '
                || {{ decimal_comma_text('o.mean_rank', 1) }}
                || '; de ' || cast(s.case_count as string) || ' bedste udvælges)'
            else 'opfylder ikke kriterierne: ' || concat_ws('; ',
                case
                    when o.success_change is null
                        then 'ingen registerdata for både nulpunkt og slutmåling'
                    when o.success_change <= 0
                        then 'resultaterne er ikke forbedret ('
                            || {{ decimal_comma_text('o.success_change', 1, signed=true) }}
                            || ' procentpoint)'
                end,
                case
                    when o.fidelity_change_management is null
                        then 'ingen svar fra ledelsen i begge målinger'
                    when o.fidelity_change_management <= 0
                        then 'ledelsen melder ingen fremgang i implementeringen ('
                            || {{ decimal_comma_text('o.fidelity_change_management', 2, signed=true) }}
                            || ')'
                end,
                case
                    when o.fidelity_change_staff is null
                        then 'ingen svar fra medarbejderne i begge målinger'
                    when o.fidelity_change_staff <= 0
                        then 'medarbejderne melder ingen fremgang i implementeringen ('
                            || {{ decimal_comma_text('o.fidelity_change_staff', 2, signed=true) }}
                            || ')'
                end
            )
        end as string
    ) as reason,
    cast(o.provisional as boolean) as provisional
from ordered as o
cross join settings as s
