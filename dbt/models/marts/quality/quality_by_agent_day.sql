{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Call quality per tenant, agent_id and day (UTC, of the call's start): calls with a MOS, mean
    and percentile MOS, share of poor calls (MOS < 3.6), jitter, loss and RTT percentiles.
    Percentiles interpolate linearly (macro percentile); floats rounded to 4 decimals.
-#}

with

scored_calls as (

    select
        calls.tenant_id as tenant_id,
        calls.agent_id as agent_id,
        calls.call_date as call_date,
        quality.mos as mos,
        quality.is_poor as is_poor,
        quality.jitter_ms as jitter_ms,
        quality.loss_pct as loss_pct,
        quality.rtt_ms as rtt_ms

    from {{ ref('call_quality') }} as quality
    inner join {{ ref('fct_calls') }} as calls
        on quality.tenant_id = calls.tenant_id
        and quality.call_id = calls.call_id
    where calls.agent_id is not null

),

final as (

    select
        tenant_id,
        agent_id,
        call_date,
        cast(count(*) as bigint) as calls,
        round(avg(mos), 4) as mos_mean,
        round({{ percentile('mos', 0.05) }}, 4) as mos_p5,
        round({{ percentile('mos', 0.5) }}, 4) as mos_p50,
        cast(sum(case when is_poor then 1 else 0 end) as bigint) as poor_calls,
        round({{ safe_divide('sum(case when is_poor then 1 else 0 end)', 'count(*)') }}, 4)
            as poor_share,
        round({{ percentile('jitter_ms', 0.5) }}, 4) as jitter_ms_p50,
        round({{ percentile('jitter_ms', 0.95) }}, 4) as jitter_ms_p95,
        round({{ percentile('loss_pct', 0.5) }}, 4) as loss_pct_p50,
        round({{ percentile('loss_pct', 0.95) }}, 4) as loss_pct_p95,
        round({{ percentile('rtt_ms', 0.5) }}, 4) as rtt_ms_p50,
        round({{ percentile('rtt_ms', 0.95) }}, 4) as rtt_ms_p95

    from scored_calls
    group by tenant_id, agent_id, call_date

)

select * from final
