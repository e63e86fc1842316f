{#-
    The fields of a CSV for Danish Excel (exports/writers.py write_csv_for_excel renders this
    template): each value as the text Danish Excel reads, quoted as Python's csv module quotes
    (QUOTE_MINIMAL), so the files are the bytes pandas' to_csv wrote before, made in DuckDB.
    `separator` is the field separator, `formula_start` the first characters that make a text
    a formula (as SQL literals).
-#}

-- quoted when it holds the separator, a quote or a line break; quotes inside doubled
create or replace temp macro csv_field(text) as
    case
        when contains(text, {{ separator }}) or contains(text, '"')
            or contains(text, chr(13)) or contains(text, chr(10))
            then '"' || replace(text, '"', '""') || '"'
        else text
    end;

-- a text that would start a formula gets a leading apostrophe, so Excel shows it as text
create or replace temp macro excel_text(value) as
    csv_field(
        case
            when left(value, 1) in ({{ formula_start | join(', ') }}) then '''' || value
            else value
        end
    );

-- the shortest text that reads back as the same double (Python's repr), with a decimal comma
create or replace temp macro excel_number(value) as replace(value::varchar, '.', ',');

create or replace temp macro excel_integer(value) as value::varchar;

create or replace temp macro excel_boolean(value) as
    case when value then 'True' when not value then 'False' end;

-- a date, and a timestamp as its date
create or replace temp macro excel_date(value) as strftime(value, '%Y-%m-%d');
