{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Failed-payment recovery per tenant, currency and month of the invoice's first failure
    (docs/revenue.md, "Dunning, credits and spend alerts"); invoices from int_dunning_invoices.
    Months after the as-of month are left out. Ratios: decimal_ratio (NULL on a zero denominator).
-#}

with

invoices as (

    select * from {{ ref('int_dunning_invoices') }}
    where failure_month <= {{ revenue_as_of_month() }}

),

monthly as (

    select
        tenant_id,
        failure_month,
        currency,
        cast(count(*) as bigint) as failed_invoices,
        cast(sum(case when failure_count > 1 then 1 else 0 end) as bigint)
            as repeatedly_failed_invoices,
        cast(sum(case when outcome = 'recovered' then 1 else 0 end) as bigint) as recovered_invoices,
        cast(sum(case when outcome = 'written_off' then 1 else 0 end) as bigint)
            as written_off_invoices,
        cast(sum(case when outcome = 'open' then 1 else 0 end) as bigint) as open_invoices,
        cast(sum(case when outcome = 'recovered' then days_to_recover else 0 end) as bigint)
            as total_days_to_recover,
        {{ percentile('cast(days_to_recover as double)', 0.5) }} as median_days_raw,
        cast(sum(invoice_amount) as decimal(18, 6)) as failed_amount,
        cast(sum(case when outcome = 'recovered' then invoice_amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as recovered_amount,
        cast(sum(case when outcome = 'written_off' then invoice_amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as written_off_amount,
        cast(sum(case when outcome = 'open' then invoice_amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as open_amount,
        cast(sum(refunded_amount) as decimal(18, 6)) as refunded_amount

    from invoices
    group by tenant_id, failure_month, currency

)

select
    tenant_id,
    failure_month,
    currency,
    failed_invoices,
    repeatedly_failed_invoices,
    recovered_invoices,
    written_off_invoices,
    open_invoices,
    {{ decimal_ratio('recovered_invoices', 'failed_invoices') }} as recovery_rate,
    {{ decimal_ratio('total_days_to_recover', 'recovered_invoices') }} as mean_days_to_recover,
    case
        when recovered_invoices > 0 then cast(median_days_raw as decimal(18, 1))
    end as median_days_to_recover,
    failed_amount,
    recovered_amount,
    written_off_amount,
    open_amount,
    {{ decimal_ratio('recovered_amount', 'failed_amount') }} as amount_recovery_rate,
    refunded_amount

from monthly
