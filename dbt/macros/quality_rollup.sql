{#-
    The body of the call-quality rollups (quality_by_carrier_hour, quality_by_agent_day): calls of
    call_quality joined to fct_calls, grouped by tenant, `dimension` (a fct_calls column; calls
    without one are left out) and a period (`period_expression` over fct_calls aliased `calls`,
    named `period_name`). MOS mean / p5 / p50, poor calls and share (MOS < 3.6), jitter, loss
    and RTT p50 / p95; percentiles interpolate linearly (macro percentile); floats rounded to 4
    decimals (ties up: macro round_ties_up) so both targets give the same digits.
-#}
{% macro quality_rollup(dimension, period_expression, period_name) -%}

with

scored_calls as (

    select
        calls.tenant_id as tenant_id,
        calls.{{ dimension }} as {{ dimension }},
        {{ period_expression }} as {{ period_name }},
        quality.mos as mos,
        quality.is_poor as is_poor,
        quality.jitter_ms as jitter_ms,
        quality.loss_pct as loss_pct,
        quality.rtt_ms as rtt_ms

    from {{ ref('call_quality') }} as quality
    inner join {{ ref('fct_calls') }} as calls
        on quality.tenant_id = calls.tenant_id
        and quality.call_id = calls.call_id
    where calls.{{ dimension }} is not null

),

final as (

    select
        tenant_id,
        {{ dimension }},
        {{ period_name }},
        cast(count(*) as bigint) as calls,
        {{ round_ties_up('avg(mos)') }} as mos_mean,
        {{ round_ties_up(percentile('mos', 0.05)) }} as mos_p5,
        {{ round_ties_up(percentile('mos', 0.5)) }} as mos_p50,
        cast(sum(case when is_poor then 1 else 0 end) as bigint) as poor_calls,
        {{ round_ties_up(safe_divide('sum(case when is_poor then 1 else 0 end)', 'count(*)')) }}
            as poor_share,
        {{ round_ties_up(percentile('jitter_ms', 0.5)) }} as jitter_ms_p50,
        {{ round_ties_up(percentile('jitter_ms', 0.95)) }} as jitter_ms_p95,
        {{ round_ties_up(percentile('loss_pct', 0.5)) }} as loss_pct_p50,
        {{ round_ties_up(percentile('loss_pct', 0.95)) }} as loss_pct_p95,
        {{ round_ties_up(percentile('rtt_ms', 0.5)) }} as rtt_ms_p50,
        {{ round_ties_up(percentile('rtt_ms', 0.95)) }} as rtt_ms_p95

    from scored_calls
    group by tenant_id, {{ dimension }}, {{ period_name }}

)

select * from final

{%- endmacro %}
