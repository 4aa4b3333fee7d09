{#- A boolean column from a predicate. ClickHouse comparisons are UInt8; cast on every target. -#}
{% macro as_boolean(predicate) -%}
    cast(({{ predicate }}) as boolean)
{%- endmacro %}

{#- Floating-point division that never truncates and gives NULL for a zero denominator. -#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as double) / cast(({{ denominator }}) as double)
    end
{%- endmacro %}
