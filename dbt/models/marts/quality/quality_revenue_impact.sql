{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    One row per tenant and month with call quality (docs/quality.md, "Quality and revenue"): the
    tenant's call quality that month (calls of call_quality by the month of their start), its
    MOS band (good: mean MOS >= 4.0; fair: 3.6 to 4.0; poor: below 3.6) and poor-call band (low:
    poor share below 5 %; elevated: 5 % to 15 %; high: 15 % or more), beside the month's churn
    and retention (churn_and_retention) and voice usage (usage_revenue, products voice_*) with
    its change on the month before. Grouping these rows by band compares churn, NRR and usage
    trend of tenants by quality; no row joins another tenant's.
-#}

with

call_quality as (

    select * from {{ ref('call_quality') }}

),

calls as (

    select * from {{ ref('fct_calls') }}

),

churn as (

    select * from {{ ref('churn_and_retention') }}

),

usage as (

    select * from {{ ref('usage_revenue') }}

),

scored_calls as (

    select
        calls.tenant_id as tenant_id,
        cast({{ dbt.date_trunc('month', 'calls.call_date') }} as date) as month,
        call_quality.mos as mos,
        -- MOS in exact integer ten-thousandths (call_quality keeps 4 decimals): an exact mean
        cast(round(call_quality.mos * 10000) as bigint) as mos_units,
        case when call_quality.is_poor then 1 else 0 end as is_poor

    from call_quality
    inner join calls
        on call_quality.tenant_id = calls.tenant_id
        and call_quality.call_id = calls.call_id

),

quality_months as (

    select
        tenant_id,
        month,
        cast(count(*) as bigint) as quality_calls,
        -- the mean of 4-decimal MOS, rounded half up in integers (the same on both targets)
        cast({{ ratio_integer_divide(
            '2 * sum(mos_units) + count(*)', 'greatest(2 * count(*), 1)'
        ) }} as double) / 10000 as mos_mean,
        {{ round_ties_up(percentile('mos', 0.05)) }} as mos_p5,
        cast(sum(is_poor) as bigint) as poor_calls

    from scored_calls
    group by tenant_id, month

),

voice_usage_months as (

    select
        tenant_id,
        month,
        cast(sum(calls) as bigint) as voice_calls,
        cast(sum(billed_seconds) as bigint) as voice_billed_seconds

    from usage
    where product like 'voice%'
    group by tenant_id, month

),

banded as (

    select
        tenant_id,
        month,
        {{ add_months('month', '-1') }} as previous_month,
        quality_calls,
        mos_mean,
        mos_p5,
        poor_calls,
        {{ decimal_ratio('poor_calls', 'quality_calls') }} as poor_share,
        cast(
            case
                when mos_mean >= 4.0 then 'good'
                when mos_mean >= 3.6 then 'fair'
                else 'poor'
            end as varchar
        ) as mos_band,
        -- poor_calls / quality_calls against 5 % and 15 %, in integers (exact on both targets)
        cast(
            case
                when poor_calls * 100 < quality_calls * 5 then 'low'
                when poor_calls * 100 < quality_calls * 15 then 'elevated'
                else 'high'
            end as varchar
        ) as poor_share_band

    from quality_months

),

final as (

    select
        banded.tenant_id as tenant_id,
        banded.month as month,
        banded.quality_calls as quality_calls,
        banded.mos_mean as mos_mean,
        banded.mos_p5 as mos_p5,
        banded.poor_calls as poor_calls,
        banded.poor_share as poor_share,
        banded.mos_band as mos_band,
        banded.poor_share_band as poor_share_band,
        churn.customers_at_start as customers_at_start,
        churn.churned_customers as churned_customers,
        churn.logo_churn_rate as logo_churn_rate,
        churn.gross_revenue_retention as gross_revenue_retention,
        churn.net_revenue_retention as net_revenue_retention,
        cast(coalesce(this_month.voice_calls, 0) as bigint) as voice_calls,
        {{ decimal_ratio('coalesce(this_month.voice_billed_seconds, 0)', 60) }}
            as voice_billed_minutes,
        {{ decimal_ratio('coalesce(last_month.voice_billed_seconds, 0)', 60) }}
            as previous_voice_billed_minutes,
        {{ decimal_ratio(
            'coalesce(this_month.voice_billed_seconds, 0) - last_month.voice_billed_seconds',
            'last_month.voice_billed_seconds'
        ) }} as voice_minutes_change

    from banded
    left join churn
        on banded.tenant_id = churn.tenant_id
        and banded.month = churn.month
    left join voice_usage_months as this_month
        on banded.tenant_id = this_month.tenant_id
        and banded.month = this_month.month
    left join voice_usage_months as last_month
        on banded.tenant_id = last_month.tenant_id
        and banded.previous_month = last_month.month

)

select * from final
