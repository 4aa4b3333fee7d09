{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Usage revenue per tenant, customer, month, product and currency, from the billable usage
    units of int_usage_events. revenue and cost sum the rated rows only; rated_share shows how
    much usage was rated, so unrated usage is never a silent 0.
-#}

with

usage_events as (

    select * from {{ ref('int_usage_events') }}

),

aggregated as (

    select
        tenant_id,
        customer_id,
        month,
        product,
        currency,
        cast(count(*) as bigint) as billable_units,
        cast(sum(case when price is not null then 1 else 0 end) as bigint) as rated_units,
        cast(sum(case when cost is not null then 1 else 0 end) as bigint) as costed_units,
        cast(sum(calls) as bigint) as total_calls,
        cast(sum(billed_seconds) as bigint) as total_billed_seconds,
        cast(sum(messages) as bigint) as total_messages,
        cast(sum(segments) as bigint) as total_segments,
        cast(sum(price) as decimal(18, 6)) as total_revenue,
        cast(sum(cost) as decimal(18, 6)) as total_cost
    from usage_events
    group by tenant_id, customer_id, month, product, currency

),

final as (

    select
        tenant_id,
        customer_id,
        month,
        product,
        currency,
        billable_units,
        rated_units,
        {{ decimal_ratio('rated_units', 'billable_units') }} as rated_share,
        total_calls as calls,
        total_billed_seconds as billed_seconds,
        {{ decimal_ratio('total_billed_seconds', 60) }} as billed_minutes,
        total_messages as messages,
        total_segments as segments,
        total_revenue as revenue,
        total_cost as cost,
        cast(total_revenue - total_cost as decimal(18, 6)) as gross_margin,
        {{ decimal_ratio('total_revenue - total_cost', 'total_revenue') }} as margin_pct
    from aggregated

)

select * from final
