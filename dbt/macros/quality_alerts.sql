{#-
    Settings of the carrier quality alerts and scorecard (docs/quality.md, "Carrier scorecard,
    alerts and revenue impact"), from the dbt var `quality_alerts` (a mapping; every key
    optional):

        quality_alerts:
          warning_mos: 3.1          # threshold rule: the hour's median call MOS below this
          critical_mos: 2.58        #   ... below this: critical (G.107 Annex B: MOS at R 60,
                                    #   'many users dissatisfied', and at R 50, 'nearly all')
          tenants:                  # per-tenant thresholds, overriding the two above
            acme: {warning_mos: 3.4, critical_mos: 3.0}
          min_calls: 5              # an hour is judged only with at least this many calls
          baseline_days: 7          # baseline: the carrier's own judged hours in this many days before
          min_baseline_hours: 6     # fewer of them: an early baseline over all the carrier's hours
                                    #   with calls, when at least this many holding at least
                                    #   min_baseline_hours x min_calls calls; else no baseline rule
          min_drop_mos: 0.6         # baseline rule: median MOS at least this far below the baseline
          robust_z: 4               #   ... and at least robust_z robust standard errors below it
          cooldown_hours: 4         # a new alert only after this many hours without a flagged hour
          min_alert_calls: 10       # an alert needs this many calls in its flagged hours
-#}

{#- One setting of var `quality_alerts` (its default when not set), as a number. -#}
{% macro quality_alert_setting(name) -%}
    {%- set defaults = {
        'warning_mos': 3.1,
        'critical_mos': 2.58,
        'min_calls': 5,
        'baseline_days': 7,
        'min_baseline_hours': 6,
        'min_drop_mos': 0.6,
        'robust_z': 4,
        'cooldown_hours': 4,
        'min_alert_calls': 10,
    } -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error('quality_alerts has no setting ' ~ name) }}
    {%- endif -%}
    {%- set configured = var('quality_alerts', {}) -%}
    {%- set value = configured.get(name, defaults[name]) -%}
    {%- if name in ('min_calls', 'baseline_days', 'min_baseline_hours', 'cooldown_hours',
                    'min_alert_calls') -%}
        {{ value | int }}
    {%- else -%}
        {{ value | float }}
    {%- endif -%}
{%- endmacro %}

{#-
    The per-tenant MOS thresholds of var `quality_alerts.tenants`, as a relation (tenant_id,
    warning_mos double, critical_mos double); a tenant's missing key takes the default. Empty
    when no tenant has its own (every tenant then uses the defaults).
-#}
{% macro quality_alert_tenant_thresholds_relation() -%}
    {%- set tenants = var('quality_alerts', {}).get('tenants', {}) -%}
    {%- if tenants | length == 0 -%}
        select
            cast('' as varchar) as tenant_id,
            cast(0 as double) as warning_mos,
            cast(0 as double) as critical_mos
        where 1 = 0
    {%- else -%}
        {%- for tenant_id, thresholds in tenants | dictsort %}
        select
            cast('{{ tenant_id | replace("'", "''") }}' as varchar) as tenant_id,
            cast({{ thresholds.get('warning_mos', quality_alert_setting('warning_mos')) | float }} as double)
                as warning_mos,
            cast({{ thresholds.get('critical_mos', quality_alert_setting('critical_mos')) | float }} as double)
                as critical_mos
        {%- if not loop.last %}
        union all
        {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#-
    Baseline of each (tenant_id, carrier_id, hour_us) row of `hours`: count, calls and median
    mos_p50 (rounded ties up, so both targets compare the same double) of the rows of `sample`
    of the same tenant and carrier in the baseline_us microseconds before the hour. With
    min_hours / min_calls: only baselines with at least that many hours / calls.
-#}
{% macro quality_baseline_medians(hours, sample, baseline_us, min_hours=none, min_calls=none) -%}
    select
        judged.tenant_id as tenant_id,
        judged.carrier_id as carrier_id,
        judged.hour_us as hour_us,
        cast(count(*) as bigint) as baseline_hours,
        cast(sum(earlier.calls) as bigint) as baseline_calls,
        {{ round_ties_up(percentile('earlier.mos_p50', 0.5)) }} as baseline_mos

    from {{ hours }} as judged
    inner join {{ sample }} as earlier
        on judged.tenant_id = earlier.tenant_id
        and judged.carrier_id = earlier.carrier_id
    where earlier.hour_us < judged.hour_us
        and earlier.hour_us >= judged.hour_us - {{ baseline_us }}
    group by judged.tenant_id, judged.carrier_id, judged.hour_us
    {%- if min_hours is not none %}
    having count(*) >= {{ min_hours }}
        and sum(earlier.calls) >= {{ min_calls }}
    {%- endif %}
{%- endmacro %}

{#-
    Robust scale of one call for each baseline of `medians` (quality_baseline_medians over the
    same `sample`): an hour of n calls strays about 1 / sqrt(n) of it from the baseline, so the
    scale is median(|mos_p50 - baseline_mos| x sqrt(calls)) over the baseline's hours.
-#}
{% macro quality_baseline_scales(medians, sample, baseline_us) -%}
    select
        medians.tenant_id as tenant_id,
        medians.carrier_id as carrier_id,
        medians.hour_us as hour_us,
        {{ round_ties_up(percentile(
            'abs(earlier.mos_p50 - medians.baseline_mos) * sqrt(earlier.calls)', 0.5
        ), 6) }} as per_call_mad

    from {{ medians }} as medians
    inner join {{ sample }} as earlier
        on medians.tenant_id = earlier.tenant_id
        and medians.carrier_id = earlier.carrier_id
    where earlier.hour_us < medians.hour_us
        and earlier.hour_us >= medians.hour_us - {{ baseline_us }}
    group by medians.tenant_id, medians.carrier_id, medians.hour_us
{%- endmacro %}
