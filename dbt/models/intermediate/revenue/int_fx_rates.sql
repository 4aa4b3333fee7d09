{#-
    The exchange rates the revenue models convert with: every rate imported with
    `irisx import fx-rates` (stg_irisx__fx_rates), plus every row of the seed `fx_rates` whose
    (rate_date, currency, quote_currency) no import set. An imported rate therefore replaces the
    seed's rate of the same key, and adds a date (or a pair) the seed lacks; the seed stays the
    default with nothing imported. Both relations exist with no import (the source's zero-row
    _schema.parquet on DuckDB, migration 5's table on ClickHouse).
-#}

with

imported as (

    select
        rate_date,
        currency,
        quote_currency,
        rate,
        cast('import' as varchar) as rate_source

    from {{ ref('stg_irisx__fx_rates') }}

),

seeded as (

    select
        cast(rate_date as date) as rate_date,
        cast(currency as varchar) as currency,
        cast(quote_currency as varchar) as quote_currency,
        cast(rate as decimal(18, 6)) as rate,
        cast('seed' as varchar) as rate_source

    from {{ ref('fx_rates') }}

),

seeded_not_imported as (

    select seeded.*

    from seeded
    {{ left_join_on_keys('seeded', 'imported', ['rate_date', 'currency', 'quote_currency']) }}
    where imported.currency is null

),

unioned as (

    select * from imported
    union all
    select * from seeded_not_imported

)

select * from unioned
