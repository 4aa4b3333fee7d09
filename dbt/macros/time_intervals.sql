{#-
    Time helpers of the voice-ops interval models: instants as integer microseconds since the Unix
    epoch (exact on both targets, no float rounding), back to UTC timestamps, and the next value in
    a window partition with NULL (not a default) after the last row. Dispatched.
-#}

{#- Microseconds since 1970-01-01 UTC of a timestamp, as bigint. -#}
{% macro epoch_us(timestamp) -%}
    {{ return(adapter.dispatch('epoch_us', 'irisx')(timestamp)) }}
{%- endmacro %}

{% macro default__epoch_us(timestamp) -%}
    cast(epoch_us({{ timestamp }}) as bigint)
{%- endmacro %}

{% macro clickhouse__epoch_us(timestamp) -%}
    cast(toUnixTimestamp64Micro(toDateTime64({{ timestamp }}, 6, 'UTC')) as bigint)
{%- endmacro %}

{#- The UTC timestamp of a count of microseconds since the epoch (same type as staging's). -#}
{% macro timestamp_from_us(microseconds) -%}
    {{ return(adapter.dispatch('timestamp_from_us', 'irisx')(microseconds)) }}
{%- endmacro %}

{% macro default__timestamp_from_us(microseconds) -%}
    timezone('UTC', make_timestamp(cast({{ microseconds }} as bigint)))
{%- endmacro %}

{% macro clickhouse__timestamp_from_us(microseconds) -%}
    fromUnixTimestamp64Micro(cast({{ microseconds }} as Int64), 'UTC')
{%- endmacro %}

{#- Start (in microseconds) of the `seconds`-long bucket holding `microseconds` (>= 0). -#}
{% macro bucket_start_us(microseconds, seconds) -%}
    cast({{ ratio_integer_divide(microseconds, seconds * 1000000) }} as bigint)
        * {{ seconds * 1000000 }}
{%- endmacro %}

{#- The next row's `expression` in the partition (NULL after the last row, on every target). -#}
{% macro next_in_partition(expression, partition_by, order_by) -%}
    {{ return(adapter.dispatch('next_in_partition', 'irisx')(expression, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__next_in_partition(expression, partition_by, order_by) -%}
    lead({{ expression }}) over (partition by {{ partition_by }} order by {{ order_by }})
{%- endmacro %}

{#- ClickHouse's lead fills the last row with the type's default (0): read a Nullable instead. -#}
{% macro clickhouse__next_in_partition(expression, partition_by, order_by) -%}
    leadInFrame(toNullable({{ expression }})) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}

{#- The previous row's `expression` in the partition (NULL on the first row, on every target). -#}
{% macro previous_in_partition(expression, partition_by, order_by) -%}
    {{ return(adapter.dispatch('previous_in_partition', 'irisx')(expression, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__previous_in_partition(expression, partition_by, order_by) -%}
    lag({{ expression }}) over (partition by {{ partition_by }} order by {{ order_by }})
{%- endmacro %}

{#- ClickHouse's lag fills the first row with the type's default (0): read a Nullable instead. -#}
{% macro clickhouse__previous_in_partition(expression, partition_by, order_by) -%}
    lagInFrame(toNullable({{ expression }})) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}
