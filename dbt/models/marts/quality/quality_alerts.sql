{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Carrier quality alerts per tenant (docs/quality.md, "Quality alerts"), from
    quality_by_carrier_hour. An hour is judged when it has at least min_calls calls; its metric is
    the hour's median call MOS (mos_p50: one bad call among a few cannot move it). A judged hour
    is flagged by
      - threshold: mos_p50 < the tenant's warning_mos (critical below critical_mos), and/or
      - baseline: the carrier's own judged hours of the tenant in the baseline_days before the
        hour (at least min_baseline_hours of them: baseline_kind 'judged') have median B of their
        mos_p50 and a robust per-call scale S = median(|mos_p50 - B| x sqrt(calls)); flagged when
        B - mos_p50 >= greatest(min_drop_mos, robust_z x 1.4826 x S / sqrt(calls))
        (critical at twice that drop). Until the carrier has min_baseline_hours judged hours
        (a new tenant or carrier), B and S come from all its hours with calls in those days,
        thin ones included (baseline_kind 'early'), when they are at least min_baseline_hours
        hours holding at least min_baseline_hours x min_calls calls: as much evidence as the
        smallest judged baseline. Only the tenant's own calls over the carrier before the hour
        count (no other tenant, no other carrier, nothing after the hour).
    Flagged hours of the same tenant, carrier and metric with fewer than cooldown_hours hours
    without a flagged hour between them form one alert; an alert needs min_alert_calls calls in
    its flagged hours. Settings: var quality_alerts (macros/quality_alerts.sql).
-#}

{%- set min_calls = quality_alert_setting('min_calls') | int -%}
{%- set baseline_us = (quality_alert_setting('baseline_days') | int) * 86400 * 1000000 -%}
{%- set min_baseline_hours = quality_alert_setting('min_baseline_hours') | int -%}
{%- set min_early_calls = min_baseline_hours * min_calls -%}
{%- set min_drop = quality_alert_setting('min_drop_mos') -%}
{%- set robust_z = quality_alert_setting('robust_z') -%}
{%- set cooldown_us = (quality_alert_setting('cooldown_hours') | int) * 3600 * 1000000 -%}
{%- set min_alert_calls = quality_alert_setting('min_alert_calls') | int %}

with

carrier_hours as (

    select * from {{ ref('quality_by_carrier_hour') }}

),

tenant_thresholds as (

    {{ quality_alert_tenant_thresholds_relation() }}

),

judged_hours as (

    select
        tenant_id,
        carrier_id,
        hour_start,
        {{ epoch_us('hour_start') }} as hour_us,
        calls,
        poor_calls,
        mos_p50

    from carrier_hours
    where calls >= {{ min_calls }}

),

-- Every hour with calls, thin ones included (the early baseline's sample).
reported_hours as (

    select
        tenant_id,
        carrier_id,
        {{ epoch_us('hour_start') }} as hour_us,
        calls,
        mos_p50

    from carrier_hours
    where calls > 0

),

-- The same carrier's judged hours of the tenant in the baseline_days before each hour.
baseline_medians as (

    {{ quality_baseline_medians('judged_hours', 'judged_hours', baseline_us) }}

),

-- Robust scale of one call: an hour of n calls strays about 1 / sqrt(n) of it from the baseline.
baseline_scales as (

    {{ quality_baseline_scales('baseline_medians', 'judged_hours', baseline_us) }}

),

-- Judged hours whose carrier has fewer than min_baseline_hours judged hours before them.
early_hours as (

    select
        judged.tenant_id as tenant_id,
        judged.carrier_id as carrier_id,
        judged.hour_us as hour_us

    from judged_hours as judged
    left join baseline_medians as medians
        on judged.tenant_id = medians.tenant_id
        and judged.carrier_id = medians.carrier_id
        and judged.hour_us = medians.hour_us
    where coalesce(medians.baseline_hours, 0) < {{ min_baseline_hours }}

),

-- Their early baseline: the carrier's hours with calls in the baseline_days before, when enough.
early_medians as (

    {{ quality_baseline_medians(
        'early_hours', 'reported_hours', baseline_us,
        min_hours=min_baseline_hours, min_calls=min_early_calls
    ) }}

),

early_scales as (

    {{ quality_baseline_scales('early_medians', 'reported_hours', baseline_us) }}

),

-- Each judged hour's baseline: the judged one when established, else the early one, else none
-- (baseline_mos, baseline_hours and baseline_calls then describe the judged hours there are).
compared_hours as (

    select
        judged.tenant_id as tenant_id,
        judged.carrier_id as carrier_id,
        judged.hour_start as hour_start,
        judged.hour_us as hour_us,
        judged.calls as calls,
        judged.poor_calls as poor_calls,
        judged.mos_p50 as mos_p50,
        coalesce(tenant_thresholds.warning_mos, {{ quality_alert_setting('warning_mos') }})
            as warning_mos,
        coalesce(tenant_thresholds.critical_mos, {{ quality_alert_setting('critical_mos') }})
            as critical_mos,
        cast(
            case
                when coalesce(medians.baseline_hours, 0) >= {{ min_baseline_hours }}
                    and scales.per_call_mad is not null
                    then 'judged'
                when early_scales.per_call_mad is not null then 'early'
            end as varchar
        ) as baseline_kind,
        coalesce(early_medians.baseline_mos, medians.baseline_mos) as baseline_mos,
        cast(coalesce(early_medians.baseline_hours, medians.baseline_hours, 0) as bigint)
            as baseline_hours,
        cast(coalesce(early_medians.baseline_calls, medians.baseline_calls, 0) as bigint)
            as baseline_calls,
        coalesce(early_scales.per_call_mad, scales.per_call_mad) as per_call_mad

    from judged_hours as judged
    left join tenant_thresholds
        on judged.tenant_id = tenant_thresholds.tenant_id
    left join baseline_medians as medians
        on judged.tenant_id = medians.tenant_id
        and judged.carrier_id = medians.carrier_id
        and judged.hour_us = medians.hour_us
    left join baseline_scales as scales
        on judged.tenant_id = scales.tenant_id
        and judged.carrier_id = scales.carrier_id
        and judged.hour_us = scales.hour_us
    left join early_medians
        on judged.tenant_id = early_medians.tenant_id
        and judged.carrier_id = early_medians.carrier_id
        and judged.hour_us = early_medians.hour_us
    left join early_scales
        on judged.tenant_id = early_scales.tenant_id
        and judged.carrier_id = early_scales.carrier_id
        and judged.hour_us = early_scales.hour_us

),

limited_hours as (

    select
        *,
        case
            when baseline_kind is not null
                then greatest(
                    {{ min_drop }}, {{ robust_z }} * 1.4826 * per_call_mad / sqrt(calls)
                )
        end as required_drop

    from compared_hours

),

flagged_hours as (

    select
        *,
        case when mos_p50 < warning_mos then 1 else 0 end as below_threshold,
        case
            when required_drop is not null and baseline_mos - mos_p50 >= required_drop then 1
            else 0
        end as below_baseline,
        case
            when mos_p50 < critical_mos then 2
            when required_drop is not null and baseline_mos - mos_p50 >= 2 * required_drop then 2
            else 1
        end as severity_level

    from limited_hours
    where mos_p50 < warning_mos
        or (required_drop is not null and baseline_mos - mos_p50 >= required_drop)

),

sequenced_hours as (

    select
        *,
        {{ previous_in_partition('hour_us', 'tenant_id, carrier_id', 'hour_us') }}
            as previous_flagged_us

    from flagged_hours

),

-- A flagged hour opens a new alert unless the previous one is at most cooldown_hours before it.
numbered_hours as (

    select
        *,
        sum(
            case
                when previous_flagged_us is null
                    or hour_us - previous_flagged_us > {{ cooldown_us }} then 1
                else 0
            end
        ) over (
            partition by tenant_id, carrier_id
            order by hour_us
            rows between unbounded preceding and current row
        ) as alert_number

    from sequenced_hours

),

ranked_hours as (

    select
        *,
        row_number() over (
            partition by tenant_id, carrier_id, alert_number order by mos_p50, hour_us
        ) as worst_rank

    from numbered_hours

),

alert_spans as (

    select
        tenant_id,
        carrier_id,
        alert_number,
        min(hour_us) as first_hour_us,
        max(hour_us) as last_hour_us,
        cast(count(*) as bigint) as flagged_hours,
        cast(sum(calls) as bigint) as evidence_calls,
        cast(sum(poor_calls) as bigint) as evidence_poor_calls,
        max(severity_level) as worst_severity_level,
        max(below_threshold) as any_below_threshold,
        max(below_baseline) as any_below_baseline

    from numbered_hours
    group by tenant_id, carrier_id, alert_number
    having sum(calls) >= {{ min_alert_calls }}

),

final as (

    select
        concat(
            spans.tenant_id, ':', spans.carrier_id, ':mos_p50:',
            cast(spans.first_hour_us as varchar)
        ) as alert_id,
        spans.tenant_id as tenant_id,
        spans.carrier_id as carrier_id,
        cast('mos_p50' as varchar) as metric,
        cast(
            case
                when spans.any_below_threshold = 1 and spans.any_below_baseline = 1
                    then 'threshold+baseline'
                when spans.any_below_baseline = 1 then 'baseline'
                else 'threshold'
            end as varchar
        ) as rule,
        cast(case when spans.worst_severity_level = 2 then 'critical' else 'warning' end as varchar)
            as severity,
        {{ timestamp_from_us('spans.first_hour_us') }} as window_start,
        {{ timestamp_from_us('spans.last_hour_us + 3600000000') }} as window_end,
        cast({{ dbt.date_trunc('day', timestamp_from_us('spans.first_hour_us')) }} as date)
            as alert_date,
        spans.flagged_hours as flagged_hours,
        worst.hour_start as worst_hour_start,
        {{ round_ties_up('worst.mos_p50') }} as observed_mos,
        worst.baseline_kind as baseline_kind,
        {{ round_ties_up('worst.baseline_mos') }} as baseline_mos,
        cast(worst.baseline_hours as bigint) as baseline_hours,
        cast(worst.baseline_calls as bigint) as baseline_calls,
        {{ round_ties_up('worst.baseline_mos - worst.required_drop') }} as baseline_limit_mos,
        worst.warning_mos as warning_mos,
        worst.critical_mos as critical_mos,
        spans.evidence_calls as evidence_calls,
        spans.evidence_poor_calls as evidence_poor_calls,
        {{ decimal_ratio('spans.evidence_poor_calls', 'spans.evidence_calls') }}
            as evidence_poor_share

    from alert_spans as spans
    inner join ranked_hours as worst
        on spans.tenant_id = worst.tenant_id
        and spans.carrier_id = worst.carrier_id
        and spans.alert_number = worst.alert_number
    where worst.worst_rank = 1

)

select * from final
