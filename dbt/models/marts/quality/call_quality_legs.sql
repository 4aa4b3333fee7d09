{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    One row per call and leg: the per-leg figures behind call_quality (int_call_quality_legs),
    with each E-model impairment term, rounded to 4 decimals so both targets give the same digits.
-#}

with

legs as (

    select * from {{ ref('int_call_quality_legs') }}

),

final as (

    select
        tenant_id,
        call_id,
        leg,
        codec,
        reports,
        {{ round_ties_up('seconds') }} as seconds,
        {{ round_ties_up('mean_mos') }} as mos,
        {{ round_ties_up('mean_r_factor') }} as r_factor,
        {{ round_ties_up('min_mos') }} as min_report_mos,
        {{ round_ties_up('mean_loss_pct') }} as loss_pct,
        {{ round_ties_up('mean_jitter_ms') }} as jitter_ms,
        {{ round_ties_up('case when rtt_seconds > 0 then rtt_weighted_sum / rtt_seconds end') }}
            as rtt_ms,
        {{ round_ties_up('mean_network_delay_ms') }} as network_delay_ms,
        {{ round_ties_up('mean_jitter_buffer_ms') }} as jitter_buffer_ms,
        {{ round_ties_up('mean_one_way_delay_ms') }} as one_way_delay_ms,
        {{ round_ties_up('mean_idd') }} as idd,
        {{ round_ties_up('codec_impairment') }} as ie,
        {{ round_ties_up('mean_loss_impairment') }} as loss_impairment,
        dominant_impairment

    from legs

)

select * from final
