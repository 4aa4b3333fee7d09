with

source as (

    select * from {{ source('lake', 'fx_rates') }}

),

-- Imports accumulate (a corrected rate supersedes the one it replaces): per rate_date and pair
-- the latest import counts; import_id breaks a tie of two imports in one instant. A re-imported
-- file keeps its first imported_at, so it never changes which import wins.
latest_import as (

    {{ deduplicate(
        'source',
        partition_by='rate_date, currency, quote_currency',
        order_by=['imported_at desc', 'import_id desc'],
    ) }}

),

renamed as (

    select
        -- the pair and the first day the rate applies
        cast(rate_date as date) as rate_date,
        cast(currency as varchar) as currency,
        cast(quote_currency as varchar) as quote_currency,

        -- units of quote_currency per unit of currency
        cast(rate as decimal(18, 6)) as rate,

        cast(import_id as varchar) as import_id,
        imported_at

    from latest_import

)

select * from renamed
