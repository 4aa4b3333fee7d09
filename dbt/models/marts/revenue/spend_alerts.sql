{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Spend-budget threshold crossings (docs/revenue.md, "Dunning, credits and spend alerts"): one
    row per tenant, currency, month and threshold that month-to-date usage spend
    (int_daily_spend) reached, on the first day it did. Budgets: var spend_budgets; thresholds:
    var spend_alert_thresholds (percent, default 50/80/100). Forecast month-end spend =
    month-to-date spend + (spend of the trailing 7 days, the day included) / 7 x days left in the
    month after the day.
-#}

with

daily_spend as (

    select * from {{ ref('int_daily_spend') }}

),

budgets as (

    {{ spend_budgets_relation() }}

),

thresholds as (

    {{ spend_thresholds_relation() }}

),

month_to_date as (

    select
        tenant_id,
        currency,
        spend_date,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month,
        spend,
        cast(sum(spend) over (
            partition by tenant_id, currency, {{ dbt.date_trunc('month', 'spend_date') }}
            order by spend_date
            rows between unbounded preceding and current row
        ) as decimal(18, 6)) as month_to_date_spend

    from daily_spend

),

trailing_week as (

    select
        month_to_date.tenant_id as tenant_id,
        month_to_date.currency as currency,
        month_to_date.spend_date as spend_date,
        cast(sum(earlier.spend) as decimal(18, 6)) as trailing_7d_spend

    from month_to_date
    inner join daily_spend as earlier
        on earlier.tenant_id = month_to_date.tenant_id
        and earlier.currency = month_to_date.currency
    where earlier.spend_date <= month_to_date.spend_date
        and earlier.spend_date > {{ add_days('month_to_date.spend_date', -7) }}
    group by month_to_date.tenant_id, month_to_date.currency, month_to_date.spend_date

),

threshold_amounts as (

    select
        budgets.tenant_id as tenant_id,
        budgets.currency as currency,
        budgets.monthly_budget as monthly_budget,
        thresholds.threshold_percent as threshold_percent,
        thresholds.next_threshold_percent as next_threshold_percent,
        {{ decimal_ratio('budgets.monthly_budget * thresholds.threshold_percent', 100) }}
            as threshold_amount,
        {{ decimal_ratio('budgets.monthly_budget * thresholds.next_threshold_percent', 100) }}
            as next_threshold_amount

    from budgets
    cross join thresholds

),

reached as (

    select
        threshold_amounts.tenant_id as tenant_id,
        threshold_amounts.currency as currency,
        month_to_date.month as month,
        threshold_amounts.threshold_percent as threshold_percent,
        min(month_to_date.spend_date) as crossed_on

    from threshold_amounts
    inner join month_to_date
        on month_to_date.tenant_id = threshold_amounts.tenant_id
        and month_to_date.currency = threshold_amounts.currency
    where month_to_date.month_to_date_spend >= threshold_amounts.threshold_amount
    group by
        threshold_amounts.tenant_id,
        threshold_amounts.currency,
        month_to_date.month,
        threshold_amounts.threshold_percent

),

crossings as (

    select
        reached.tenant_id as tenant_id,
        reached.currency as currency,
        reached.month as month,
        reached.threshold_percent as threshold_percent,
        threshold_amounts.monthly_budget as monthly_budget,
        threshold_amounts.threshold_amount as threshold_amount,
        threshold_amounts.next_threshold_percent as next_threshold_percent,
        threshold_amounts.next_threshold_amount as next_threshold_amount,
        reached.crossed_on as crossed_on,
        month_to_date.month_to_date_spend as month_to_date_spend,
        trailing_week.trailing_7d_spend as trailing_7d_spend,
        cast({{ dbt.datediff('reached.crossed_on', add_months('reached.month', 1), 'day') }} - 1 as bigint)
            as days_left_in_month

    from reached
    inner join threshold_amounts
        on threshold_amounts.tenant_id = reached.tenant_id
        and threshold_amounts.currency = reached.currency
        and threshold_amounts.threshold_percent = reached.threshold_percent
    inner join month_to_date
        on month_to_date.tenant_id = reached.tenant_id
        and month_to_date.currency = reached.currency
        and month_to_date.spend_date = reached.crossed_on
    inner join trailing_week
        on trailing_week.tenant_id = reached.tenant_id
        and trailing_week.currency = reached.currency
        and trailing_week.spend_date = reached.crossed_on

),

forecasts as (

    select
        *,
        {{ decimal_ratio('trailing_7d_spend', 7) }} as trailing_7d_daily_mean

    from crossings

),

final as (

    select
        *,
        cast(month_to_date_spend + trailing_7d_daily_mean * days_left_in_month as decimal(38, 6))
            as forecast_month_end_spend

    from forecasts

)

select
    tenant_id,
    currency,
    month,
    threshold_percent,
    monthly_budget,
    threshold_amount,
    crossed_on,
    month_to_date_spend,
    trailing_7d_spend,
    trailing_7d_daily_mean,
    days_left_in_month,
    forecast_month_end_spend,
    next_threshold_percent,
    next_threshold_amount,
    case
        when next_threshold_amount is null then null
        else cast(forecast_month_end_spend >= next_threshold_amount as boolean)
    end as forecast_crosses_next_threshold,
    cast(forecast_month_end_spend >= monthly_budget as boolean) as forecast_exceeds_budget

from final
