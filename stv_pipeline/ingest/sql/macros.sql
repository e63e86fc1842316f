{#-
    The loaders' SQL, as DuckDB macros defined on the loader's connection before a file is
    parsed (macros.py renders this template: `seed` reads a dbt seed CSV, `shared` is
    dbt/macros/shared_rules.sql). The contracts name these macros ("parse_date({c})"), so a
    column stays one line of its contract and its SQL is written here once.
    A parser takes one delivered cell as text and yields its typed value, or NULL when the
    text is no valid value (validation.py reports that with the column's `expected`).
-#}

-- text with its surrounding spaces removed; an empty cell is no value
create or replace temp macro parse_text(cell) as nullif(trim(cell), '');

create or replace temp macro parse_integer(cell) as try_cast(trim(cell) as bigint);

-- a decimal comma or point; a comma makes a point (if any) a thousands separator
create or replace temp macro parse_decimal(cell) as
    try_cast(
        case
            when contains(trim(cell), ',') then replace(replace(trim(cell), '.', ''), ',', '.')
            else trim(cell)
        end
        as double
    );

-- DESIGN §2: YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY; an XLSX date cell reads as a timestamp
create or replace temp macro parse_date(cell) as
    coalesce(
        try_strptime(trim(cell), '%Y-%m-%d'),
        try_strptime(trim(cell), '%d-%m-%Y'),
        try_strptime(trim(cell), '%d/%m/%Y'),
        try_strptime(trim(cell), '%Y-%m-%d %H:%M:%S')
    )::date;

-- 'YYYY-Www' naming a week the year has (week 53 only in a year of 53 ISO weeks: the week
-- of 28 December is a year's last)
create or replace temp macro parse_iso_week(cell) as
    case
        when regexp_full_match(trim(cell), '\d{4}-W\d{2}')
            and try_cast(substr(trim(cell), 7, 2) as integer) between 1
                and weekofyear(make_date(try_cast(substr(trim(cell), 1, 4) as integer), 12, 28))
            then trim(cell)
    end;

-- 'YYYY-MM' as the month's first day
create or replace temp macro parse_month(cell) as
    case
        when regexp_full_match(trim(cell), '\d{4}-\d{2}')
            then try_strptime(trim(cell) || '-01', '%Y-%m-%d')::date
    end;

-- DDMMYY-XXXX or DDMMYYXXXX as ten digits; pseudonymised at once by the typed scan (DESIGN §6)
create or replace temp macro parse_cpr(cell) as
    case when regexp_full_match(trim(cell), '\d{6}-?\d{4}') then replace(trim(cell), '-', '') end;


-- Rules dbt applies too (dbt/macros/shared_rules.sql says why they live there).
create or replace temp macro iso_week_monday(week) as {{ shared.iso_week_monday('week') }};

create or replace temp macro week_month(day) as {{ shared.week_month('day') }};

create or replace temp macro jobindsats_is_total_value(dimension_value) as
    {{ shared.jobindsats_is_total_value('dimension_value') }};


-- Jobindsats (DESIGN §2.7)

-- An area name as a comparable key: lower case, without "Kommune", aa spelt å, hyphens and
-- runs of spaces as one space ("Høje-Taastrup Kommune" and "høje taastrup" meet).
create or replace temp macro area_key(area_name) as
    regexp_replace(
        replace(regexp_replace(lower(trim(area_name)), '\s+kommune$', ''), 'aa', 'å'),
        '[\s-]+',
        ' ',
        'g'
    );

-- Hele landet, a region or an RAR area: an area that is not a municipality keeps no code.
create or replace temp macro area_is_not_a_municipality(area_name) as
    (
        lower(trim(area_name)) = 'hele landet'
        or lower(trim(area_name)) like 'rar %'
        or lower(trim(area_name)) in (select distinct lower(region) from {{ seed('municipalities') }})
    );

create or replace temp macro municipality_code_of_area(area_name) as
    case
        when not area_is_not_a_municipality(area_name) then (
            select m.municipality_code
            from {{ seed('municipalities') }} as m
            where area_key(m.municipality_name) = area_key(area_name)
        )
    end;

-- Period codes: 2017M03 (month), 2017K1 / 2017Q1 (quarter), 2020QMAT02 (the four quarters
-- ending with quarter 2 of 2020), 2024Y01 (year).
create or replace temp macro jobindsats_period_type(period) as
    case
        when regexp_full_match(upper(trim(period)), '\d{4}M(0[1-9]|1[0-2])') then 'month'
        when regexp_full_match(upper(trim(period)), '\d{4}[KQ][1-4]') then 'quarter'
        when regexp_full_match(upper(trim(period)), '\d{4}QMAT0?[1-4]') then 'moving_annual_total'
        when regexp_full_match(upper(trim(period)), '\d{4}Y(01)?') then 'year'
    end;

create or replace temp macro parse_jobindsats_period(period) as
    case when jobindsats_period_type(period) is not null then upper(trim(period)) end;

-- the period's first month, and its number of months
create or replace temp macro jobindsats_period_first_month(period) as
    case jobindsats_period_type(period)
        when 'month' then make_date(
            cast(left(upper(trim(period)), 4) as integer),
            cast(substr(upper(trim(period)), 6, 2) as integer),
            1
        )
        when 'quarter' then make_date(
            cast(left(upper(trim(period)), 4) as integer),
            3 * cast(right(upper(trim(period)), 1) as integer) - 2,
            1
        )
        when 'moving_annual_total' then make_date(
            cast(left(upper(trim(period)), 4) as integer),
            3 * cast(right(upper(trim(period)), 1) as integer) - 2,
            1
        ) - interval 9 months
        when 'year' then make_date(cast(left(upper(trim(period)), 4) as integer), 1, 1)
    end;

create or replace temp macro jobindsats_period_months(period) as
    case jobindsats_period_type(period)
        when 'month' then 1
        when 'quarter' then 3
        when 'moving_annual_total' then 12
        when 'year' then 12
    end;

create or replace temp macro jobindsats_period_start(period) as
    (jobindsats_period_first_month(period))::date;

create or replace temp macro jobindsats_period_end(period) as
    (
        jobindsats_period_first_month(period)
        + to_months(jobindsats_period_months(period))
        - interval 1 day
    )::date;

-- a row whose dimension values (a JSON object) hold a total of its dimension ("Køn i alt")
create or replace temp macro dimensions_hold_a_total(dimensions) as
    coalesce(
        list_bool_or(
            list_transform(
                json_extract_string(dimensions, '$.*'),
                lambda dimension_value: jobindsats_is_total_value(dimension_value)
            )
        ),
        false
    );
