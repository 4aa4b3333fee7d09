{#-
    Exact ratios of the revenue marts (docs/revenue.md, "Churn, retention and LTV").

    Both targets must give the same digits. Dividing decimals does not: DuckDB turns decimal /
    decimal into DOUBLE, ClickHouse keeps the dividend's scale and truncates, and round() on
    doubles breaks ties differently (reference/DIALECTS.md). So a ratio is computed in integers:
    both operands become 128-bit counts of millionths (exact for decimal(18,6) money and for
    counts), and the quotient is rounded half away from zero in integer arithmetic, which both
    engines do exactly. The result is decimal(38, 6).
-#}

{#-
    numerator / denominator rounded half away from zero to 6 decimals, as decimal(38, 6); NULL
    when the denominator is 0 or NULL. Operands: exact numbers (integers, or decimals with at most
    6 decimals, e.g. the decimal(18,6) money columns) whose absolute value stays below 10^25
    (the scaled integers must fit 128 bits); every quotient of such operands fits decimal(38, 6),
    so no input makes one target fail where the other does not. The divisor is never 0 even
    where the CASE is not short-circuited (a non-zero count of millionths is at least 1).
-#}
{% macro decimal_ratio(numerator, denominator) -%}
    {%- set numerator_units = ratio_units(numerator) -%}
    {%- set denominator_units = ratio_units(denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(
            {{ ratio_int128_to_decimal(
                'sign(' ~ numerator_units ~ ') * sign(' ~ denominator_units ~ ') * '
                ~ ratio_integer_divide(
                    '2 * abs(' ~ numerator_units ~ ') * 1000000 + abs(' ~ denominator_units ~ ')',
                    '2 * greatest(abs(' ~ denominator_units ~ '), 1)'
                )
            ) }} * cast('0.000001' as decimal(18, 6))
            as decimal(38, 6)
        )
    end
{%- endmacro %}

{#- An exact number as a 128-bit integer count of millionths (x * 10^6). -#}
{% macro ratio_units(expression) -%}
    cast(cast(({{ expression }}) as decimal(38, 6)) * 1000000 as {{ ratio_int128_type() }})
{%- endmacro %}

{#- The signed 128-bit integer type. Dispatched. -#}
{% macro ratio_int128_type() -%}
    {{ return(adapter.dispatch('ratio_int128_type', 'irisx')()) }}
{%- endmacro %}

{% macro default__ratio_int128_type() -%}
    hugeint
{%- endmacro %}

{% macro clickhouse__ratio_int128_type() -%}
    Int128
{%- endmacro %}

{#- Integer division truncating toward zero (operands are non-negative here). Dispatched. -#}
{% macro ratio_integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('ratio_integer_divide', 'irisx')(dividend, divisor)) }}
{%- endmacro %}

{#- DuckDB: `//` on integers. -#}
{% macro default__ratio_integer_divide(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}

{#- ClickHouse: intDiv (`//` starts a comment there). -#}
{% macro clickhouse__ratio_integer_divide(dividend, divisor) -%}
    intDiv({{ dividend }}, {{ divisor }})
{%- endmacro %}

{#- A 128-bit integer as decimal(38, 0). Dispatched: ClickHouse has no CAST from Int128 to Decimal. -#}
{% macro ratio_int128_to_decimal(expression) -%}
    {{ return(adapter.dispatch('ratio_int128_to_decimal', 'irisx')(expression)) }}
{%- endmacro %}

{% macro default__ratio_int128_to_decimal(expression) -%}
    cast(({{ expression }}) as decimal(38, 0))
{%- endmacro %}

{% macro clickhouse__ratio_int128_to_decimal(expression) -%}
    toDecimal128({{ expression }}, 0)
{%- endmacro %}

{#- An amount in the reporting currency: amount × rate (the rate in millionths, as exact
    integers) rounded half away from zero to 6 decimals (decimal_ratio); NULL when either is
    NULL. Every revenue model converts money this way, so the same amount and rate give the same
    digits everywhere. -#}
{% macro in_reporting_currency(amount, rate) -%}
    {{ decimal_ratio(
        'cast(' ~ amount ~ ' as decimal(38, 6)) * cast(' ~ rate ~ ' * 1000000 as bigint)',
        '1000000'
    ) }}
{%- endmacro %}
