{#-
    The E-model (ITU-T G.107) in SQL, the same formulas as models_ml/quality (docs/quality.md):
    codec values from G.113 Appendix I, Idd from the one-way delay, MOS from R (held at 1 where
    Annex B's polynomial dips below it). Plain arithmetic, log() and power(): both targets.
-#}

{#- A codec's `ie`, `bpl`, `packet_ms` or `lookahead_ms` (NULL for codecs without values). -#}
{% macro emodel_codec_value(codec, field) -%}
    {%- set table = {
        'ie': {'PCMU': '0.0', 'PCMA': '0.0', 'G729': '11.0', 'G723': '15.0'},
        'bpl': {'PCMU': '4.3', 'PCMA': '4.3', 'G729': '19.0', 'G723': '16.1'},
        'packet_ms': {'PCMU': '20.0', 'PCMA': '20.0', 'G729': '20.0', 'G723': '30.0'},
        'lookahead_ms': {'PCMU': '0.0', 'PCMA': '0.0', 'G729': '5.0', 'G723': '7.5'},
    } -%}
    case {{ codec }}
        {%- for name, value in table[field].items() %}
        when '{{ name }}' then cast({{ value }} as double)
        {%- endfor %}
    end
{%- endmacro %}

{#- Idd for an absolute one-way delay Ta in ms (G.107 §7.3, mT = 100, sT = 1). -#}
{% macro emodel_idd(ta_ms) -%}
    case
        when ({{ ta_ms }}) <= 100 then cast(0 as double)
        else 25 * (
            power(1 + power(log(({{ ta_ms }}) / 100) / log(2), 6), 1.0 / 6)
            - 3 * power(1 + power(log(({{ ta_ms }}) / 100) / log(2) / 3, 6), 1.0 / 6)
            + 2
        )
    end
{%- endmacro %}

{#- Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl), random loss (BurstR = 1). -#}
{% macro emodel_ie_eff(ie, bpl, loss_pct) -%}
    ({{ ie }}) + (95 - ({{ ie }})) * ({{ loss_pct }}) / (({{ loss_pct }}) + ({{ bpl }}))
{%- endmacro %}

{#- MOS from R (G.107 Annex B), at least 1. -#}
{% macro emodel_mos(r) -%}
    case
        when ({{ r }}) < 0 then cast(1 as double)
        when ({{ r }}) > 100 then cast(4.5 as double)
        else greatest(
            cast(1 as double),
            1 + 0.035 * ({{ r }}) + 0.000007 * ({{ r }}) * (({{ r }}) - 60) * (100 - ({{ r }}))
        )
    end
{%- endmacro %}

{#- Linearly interpolated percentile, the same definition on both targets. Dispatched. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'irisx')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro clickhouse__percentile(expression, fraction) -%}
    quantileExactInclusive({{ fraction }})({{ expression }})
{%- endmacro %}
