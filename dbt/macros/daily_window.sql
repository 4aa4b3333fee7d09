{#-
    Daily incremental runs of the per-day marts on ClickHouse (dbt/README.md, "Incremental runs on
    ClickHouse"). A run's window comes from two vars, ISO dates given together:
      window_start  first day rebuilt (inclusive)
      window_end    day after the last day rebuilt (exclusive)
    e.g. --vars '{window_start: 2024-05-30, window_end: 2024-06-01}' rebuilds May 30 and 31.
    Without them a run rebuilds everything (full-refresh semantics), as on DuckDB.
-#}

{#- The window as {'start': 'YYYY-MM-DD', 'end': 'YYYY-MM-DD'}, or none when no window was given. -#}
{% macro daily_window() -%}
    {%- set start = var('window_start', none) -%}
    {%- set end = var('window_end', none) -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            'daily_window: give both vars window_start and window_end (ISO dates), or neither') }}
    {%- endif -%}
    {#- YAML reads an unquoted 2024-05-30 as a date: `string` gives its ISO form either way. -#}
    {%- set first = modules.datetime.date.fromisoformat(start | string) -%}
    {%- set after_last = modules.datetime.date.fromisoformat(end | string) -%}
    {%- if after_last <= first -%}
        {{ exceptions.raise_compiler_error(
            'daily_window: window_end (' ~ after_last ~ ', exclusive) must be after window_start ('
            ~ first ~ ')') }}
    {%- endif -%}
    {{ return({'start': first.isoformat(), 'end': after_last.isoformat()}) }}
{%- endmacro %}

{#-
    Config of a per-day model. On every target the tag `daily` (Dagster runs these models by daily
    partition, pipelines/marts/daily.py). On ClickHouse targets an incremental delete_insert table:
    rows whose unique_key appears in the window's new rows are deleted, then the new rows
    inserted; monthly parts by `date_column`; rebuilt whole when no window is given. Elsewhere the
    model keeps its own materialization.
-#}
{% macro daily_incremental_config(unique_key, order_by, date_column='call_date') -%}
    {%- if target.type not in ['clickhouse', 'chdb'] -%}
        {{ return({'tags': ['daily']}) }}
    {%- endif -%}
    {{ return({
        'tags': ['daily'],
        'materialized': 'incremental',
        'incremental_strategy': 'delete_insert',
        'unique_key': unique_key,
        'order_by': order_by,
        'partition_by': 'toYYYYMM(' ~ date_column ~ ')',
        'full_refresh': true if daily_window() is none else none,
    }) }}
{%- endmacro %}

{#-
    `where <date_column> in the window` for an incremental model run with a window, also when its
    table does not exist yet (the first run of a day creates the table with that day only); empty
    otherwise: no window, --full-refresh, or a materialization that rebuilds everything (DuckDB).
-#}
{% macro daily_window_filter(date_column) -%}
    {%- set window = daily_window() -%}
    {%- if window is not none
        and config.get('materialized') == 'incremental'
        and not should_full_refresh() -%}
    where {{ date_column }} >= cast('{{ window.start }}' as date)
        and {{ date_column }} < cast('{{ window.end }}' as date)
    {%- endif -%}
{%- endmacro %}
