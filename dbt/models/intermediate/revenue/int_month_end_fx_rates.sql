{#-
    The exchange rate of every currency the subscription periods or the rated usage use, for
    every month from the currency's first period or usage month to the as-of month: the rate into the reporting currency (var
    reporting_currency, default USD) in effect on the month's last day, i.e. the latest
    int_fx_rates row of the pair (an imported rate, else the seed's) dated on or before that day
    (dated before the next month's first day). The reporting currency itself has rate 1. A month
    without such a rate keeps a NULL rate, which the not_null test on `rate` turns into a failed
    build: revenue is never dropped or zeroed silently.
-#}

{%- set reporting_currency = var('reporting_currency', 'USD') -%}

with

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

usage_events as (

    select * from {{ ref('int_usage_events') }}

),

rates_into_reporting_currency as (

    select * from {{ ref('int_fx_rates') }}
    where quote_currency = '{{ reporting_currency }}'

),

as_of as (

    select {{ revenue_as_of_month() }} as as_of_month

),

-- 1200 months (100 years), as in int_mrr_customer_months.
month_offsets as (

    {{ integer_series(1200) }}

),

currency_first_months as (

    select
        currency,
        min(first_month) as first_month

    from (
        select
            currency,
            cast({{ dbt.date_trunc('month', 'min(start_date)') }} as date) as first_month
        from periods
        group by currency
        union all
        select currency, min(month) as first_month
        from usage_events
        where price is not null
        group by currency
    ) as first_months_by_source
    group by currency

),

currency_months as (

    select
        currency_first_months.currency as currency,
        {{ add_months('currency_first_months.first_month', 'month_offsets.n') }} as month,
        {{ add_months('currency_first_months.first_month', 'month_offsets.n + 1') }} as next_month

    from currency_first_months
    cross join month_offsets
    cross join as_of
    where {{ add_months('currency_first_months.first_month', 'month_offsets.n') }}
        <= as_of.as_of_month

),

latest_rate_dates as (

    select
        currency_months.currency as currency,
        currency_months.month as month,
        max(rates_into_reporting_currency.rate_date) as rate_date

    from currency_months
    inner join rates_into_reporting_currency
        on currency_months.currency = rates_into_reporting_currency.currency
    where rates_into_reporting_currency.rate_date < currency_months.next_month
    group by currency_months.currency, currency_months.month

),

month_rates as (

    select
        currency_months.currency as currency,
        currency_months.month as month,
        cast('{{ reporting_currency }}' as varchar) as reporting_currency,
        latest_rate_dates.rate_date as rate_date,
        cast(
            case
                when currency_months.currency = '{{ reporting_currency }}'
                    then cast('1' as decimal(18, 6))
                else rates_into_reporting_currency.rate
            end as decimal(18, 6)
        ) as rate

    from currency_months
    left join latest_rate_dates
        on currency_months.currency = latest_rate_dates.currency
        and currency_months.month = latest_rate_dates.month
    left join rates_into_reporting_currency
        on latest_rate_dates.currency = rates_into_reporting_currency.currency
        and latest_rate_dates.rate_date = rates_into_reporting_currency.rate_date

)

select * from month_rates
