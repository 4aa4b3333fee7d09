{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Voice margin per tenant, month, currency, carrier and destination route (longest
    calling-code prefix of the called number, int_usage_call_routes). Every call counts in
    `calls`; money and minutes come from answered calls with billsec > 0. Margin and the
    per-minute figures use rated calls only (price and cost both present), so that an unrated
    call never lowers a margin; rated_calls says how many those were.
-#}

with

calls as (

    select * from {{ ref('int_usage_call_routes') }}

),

call_months as (

    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'start_at') }} as date) as month,
        currency,
        cast(coalesce(carrier_id, 'unknown') as varchar) as carrier_id,
        route,
        answer_at,
        billsec,
        case when billsec > 0 and price is not null and cost is not null then 1 else 0 end
            as is_rated,
        price,
        cost
    from calls

),

aggregated as (

    select
        tenant_id,
        month,
        currency,
        carrier_id,
        route,
        cast(count(*) as bigint) as calls,
        cast(sum(case when answer_at is not null then 1 else 0 end) as bigint) as answered_calls,
        cast(sum(case when billsec > 0 then 1 else 0 end) as bigint) as billable_calls,
        cast(sum(is_rated) as bigint) as rated_calls,
        cast(sum(billsec) as bigint) as total_billed_seconds,
        cast(sum(case when is_rated = 1 then billsec else 0 end) as bigint) as rated_seconds,
        cast(sum(case when is_rated = 1 then price end) as decimal(18, 6)) as total_revenue,
        cast(sum(case when is_rated = 1 then cost end) as decimal(18, 6)) as total_cost
    from call_months
    where month <= {{ revenue_as_of_month() }}
    group by tenant_id, month, currency, carrier_id, route

),

final as (

    select
        tenant_id,
        month,
        currency,
        carrier_id,
        route,
        calls,
        answered_calls,
        billable_calls,
        rated_calls,
        total_billed_seconds as billed_seconds,
        {{ decimal_ratio('total_billed_seconds', 60) }} as billed_minutes,
        total_revenue as revenue,
        total_cost as cost,
        cast(total_revenue - total_cost as decimal(18, 6)) as margin,
        {{ decimal_ratio('total_revenue - total_cost', 'total_revenue') }} as margin_pct,
        {{ decimal_ratio('total_cost * 60', 'rated_seconds') }} as cost_per_minute,
        {{ decimal_ratio('total_revenue * 60', 'rated_seconds') }} as revenue_per_minute
    from aggregated

)

select * from final
