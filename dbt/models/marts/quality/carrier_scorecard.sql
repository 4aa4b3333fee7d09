{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    One row per tenant, carrier, UTC day (of the calls' start) and currency (docs/quality.md,
    "Carrier scorecard"). Signalling KPIs (ASR, NER, ACD, PDD) count the tenant's outbound calls
    over the carrier (the attempts the carrier terminates); media quality counts every call over
    it with a MOS (call_quality, both directions); money counts rated calls (billsec > 0, price
    and cost present, both directions, as margin_by_carrier_route). Score (0-100) = 50 x quality
    + 50 x margin, quality = (MOS mean - 1) / 3.5 and margin = margin / revenue, each clamped to
    0-1; rank 1 = the best score of the tenant's carriers that day in that currency. Trend:
    differences to the same carrier's row of the day before (null when it has none).
-#}

{%- set network_effective_causes = [
    'USER_BUSY', 'NO_USER_RESPONSE', 'NO_ANSWER', 'SUBSCRIBER_ABSENT', 'CALL_REJECTED',
] %}

with

calls as (

    select * from {{ ref('fct_calls') }}
    where carrier_id is not null

),

call_quality as (

    select * from {{ ref('call_quality') }}

),

scored_calls as (

    select
        calls.tenant_id as tenant_id,
        calls.carrier_id as carrier_id,
        calls.call_date as call_date,
        calls.currency as currency,
        case when calls.direction = 'outbound' then 1 else 0 end as is_attempt,
        case
            when calls.direction = 'outbound' and calls.answer_at is not null then 1 else 0
        end as is_answered_attempt,
        -- The network delivered the call and the called party decided (E.425's answer, user
        -- busy, ring-no-answer, rejection); a caller's cancel counts once the far end rang.
        case
            when calls.direction <> 'outbound' then 0
            when calls.answer_at is not null then 1
            when calls.hangup_cause in ('{{ network_effective_causes | join("', '") }}') then 1
            when calls.hangup_cause = 'ORIGINATOR_CANCEL' and calls.pdd_ms is not null then 1
            else 0
        end as is_network_effective,
        case
            when calls.direction = 'outbound' and calls.answer_at is not null then calls.billsec
            else 0
        end as answered_billsec,
        case
            when calls.direction = 'outbound' then cast(calls.pdd_ms as double)
        end as attempt_pdd_ms,
        call_quality.mos as mos,
        -- MOS in exact integer ten-thousandths (call_quality keeps 4 decimals): an exact mean
        cast(round(call_quality.mos * 10000) as bigint) as mos_units,
        case when call_quality.is_poor then 1 else 0 end as is_poor,
        case
            when calls.billsec > 0 and calls.price is not null and calls.cost is not null then 1
            else 0
        end as is_rated,
        calls.billsec as billsec,
        calls.price as price,
        calls.cost as cost

    from calls
    left join call_quality
        on calls.tenant_id = call_quality.tenant_id
        and calls.call_id = call_quality.call_id

),

carrier_days as (

    select
        tenant_id,
        carrier_id,
        call_date,
        currency,
        cast(count(*) as bigint) as calls,
        cast(sum(is_attempt) as bigint) as attempts,
        cast(sum(is_answered_attempt) as bigint) as answered_attempts,
        cast(sum(is_network_effective) as bigint) as network_effective_attempts,
        cast(sum(answered_billsec) as bigint) as answered_attempt_billsec,
        {{ round_ties_up(percentile('attempt_pdd_ms', 0.5)) }} as pdd_ms_p50,
        {{ round_ties_up(percentile('attempt_pdd_ms', 0.95)) }} as pdd_ms_p95,
        cast(count(mos) as bigint) as quality_calls,
        -- the mean of 4-decimal MOS, rounded half up in integers (the same on both targets)
        case
            when count(mos_units) > 0 then cast({{ ratio_integer_divide(
                '2 * sum(mos_units) + count(mos_units)',
                'greatest(2 * count(mos_units), 1)'
            ) }} as double) / 10000
        end as mos_mean,
        {{ round_ties_up(percentile('mos', 0.05)) }} as mos_p5,
        cast(sum(is_poor) as bigint) as poor_calls,
        cast(sum(case when is_rated = 1 then billsec else 0 end) as bigint) as rated_seconds,
        cast(sum(case when is_rated = 1 then price end) as decimal(18, 6)) as rated_revenue,
        cast(sum(case when is_rated = 1 then cost end) as decimal(18, 6)) as rated_cost

    from scored_calls
    group by tenant_id, carrier_id, call_date, currency

),

measured as (

    select
        tenant_id,
        carrier_id,
        call_date,
        currency,
        calls,
        attempts,
        answered_attempts,
        network_effective_attempts,
        {{ decimal_ratio('answered_attempts', 'attempts') }} as asr,
        {{ decimal_ratio('network_effective_attempts', 'attempts') }} as ner,
        {{ decimal_ratio('answered_attempt_billsec', 'answered_attempts') }} as acd_sec,
        pdd_ms_p50,
        pdd_ms_p95,
        quality_calls,
        mos_mean,
        mos_p5,
        poor_calls,
        {{ decimal_ratio('poor_calls', 'quality_calls') }} as poor_share,
        rated_seconds,
        rated_revenue,
        rated_cost,
        {{ decimal_ratio('rated_cost * 60', 'rated_seconds') }} as cost_per_minute,
        {{ decimal_ratio('rated_revenue * 60', 'rated_seconds') }} as revenue_per_minute,
        {{ decimal_ratio('(rated_revenue - rated_cost) * 60', 'rated_seconds') }}
            as margin_per_minute,
        {{ decimal_ratio('rated_revenue - rated_cost', 'rated_revenue') }} as margin_pct

    from carrier_days

),

scored as (

    select
        *,
        -- greatest/least skip NULLs on DuckDB but not on ClickHouse: test for them first
        case
            when mos_mean is not null and margin_pct is not null then {{ round_ties_up(
                '50 * least(greatest((mos_mean - 1) / 3.5, 0.0), 1.0)'
                ~ ' + 50 * least(greatest(cast(margin_pct as double), 0.0), 1.0)'
            ) }}
        end as score

    from measured

),

ranked as (

    select
        *,
        case
            when score is not null then cast(row_number() over (
                partition by tenant_id, call_date, currency, score is null
                order by score desc, carrier_id
            ) as bigint)
        end as score_rank,
        cast(count(score) over (partition by tenant_id, call_date, currency) as bigint)
            as ranked_carriers,
        {{ add_days('call_date', -1) }} as previous_day

    from scored

),

-- The day before by an equality join (no lag(): it defaults to 0 on ClickHouse).
final as (

    select
        today.tenant_id as tenant_id,
        today.carrier_id as carrier_id,
        today.call_date as call_date,
        today.currency as currency,
        today.calls as calls,
        today.attempts as attempts,
        today.answered_attempts as answered_attempts,
        today.network_effective_attempts as network_effective_attempts,
        today.asr as asr,
        today.ner as ner,
        today.acd_sec as acd_sec,
        today.pdd_ms_p50 as pdd_ms_p50,
        today.pdd_ms_p95 as pdd_ms_p95,
        today.quality_calls as quality_calls,
        today.mos_mean as mos_mean,
        today.mos_p5 as mos_p5,
        today.poor_calls as poor_calls,
        today.poor_share as poor_share,
        today.rated_seconds as rated_seconds,
        today.rated_revenue as rated_revenue,
        today.rated_cost as rated_cost,
        today.cost_per_minute as cost_per_minute,
        today.revenue_per_minute as revenue_per_minute,
        today.margin_per_minute as margin_per_minute,
        today.margin_pct as margin_pct,
        today.score as score,
        today.score_rank as score_rank,
        today.ranked_carriers as ranked_carriers,
        cast(today.asr - yesterday.asr as decimal(38, 6)) as asr_change,
        cast(today.ner - yesterday.ner as decimal(38, 6)) as ner_change,
        {{ round_ties_up('today.mos_mean - yesterday.mos_mean') }} as mos_mean_change,
        cast(today.poor_share - yesterday.poor_share as decimal(38, 6)) as poor_share_change,
        cast(today.cost_per_minute - yesterday.cost_per_minute as decimal(38, 6))
            as cost_per_minute_change,
        cast(today.margin_per_minute - yesterday.margin_per_minute as decimal(38, 6))
            as margin_per_minute_change,
        {{ round_ties_up('today.score - yesterday.score') }} as score_change,
        cast(yesterday.score_rank - today.score_rank as bigint) as rank_change

    from ranked as today
    left join ranked as yesterday
        on today.tenant_id = yesterday.tenant_id
        and today.carrier_id = yesterday.carrier_id
        and today.currency = yesterday.currency
        and today.previous_day = yesterday.call_date

)

select * from final
