{#-
    Helpers of the dunning, credit and spend-alert models (docs/revenue.md, "Dunning, credits and
    spend alerts").
-#}

{#-
    The last day the billing-operations marts report: var `as_of_date` (ISO date; tests pin it),
    else today's UTC date, as a date on every target.
-#}
{% macro billing_ops_as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- else -%}
        {%- set iso = modules.datetime.date.fromisoformat(as_of | string).isoformat() -%}
        cast('{{ iso }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- `day` shifted by `count` days (an integer expression), as a date on every target. -#}
{% macro add_days(day, count) -%}
    cast({{ dbt.dateadd('day', count, day) }} as date)
{%- endmacro %}

{#-
    The monthly spend budgets, as a relation (tenant_id, currency, monthly_budget decimal(18,6)),
    from var `spend_budgets`: a list of {tenant_id, currency, monthly_budget}. Empty by default
    (no budget, no alert). Budgets are given, never derived: a tenant sets its own.
-#}
{% macro spend_budgets_relation() -%}
    {%- set budgets = var('spend_budgets', []) -%}
    {%- if budgets | length == 0 -%}
        select
            cast('' as varchar) as tenant_id,
            cast('' as varchar) as currency,
            cast('0' as decimal(18, 6)) as monthly_budget
        where 1 = 0
    {%- else -%}
        {%- for budget in budgets %}
        select
            cast('{{ budget["tenant_id"] | replace("'", "''") }}' as varchar) as tenant_id,
            cast('{{ budget.get("currency", "USD") | replace("'", "''") }}' as varchar) as currency,
            cast('{{ budget["monthly_budget"] | string }}' as decimal(18, 6)) as monthly_budget
        {%- if not loop.last %}
        union all
        {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    The alert thresholds in percent of the budget, as a relation (threshold_percent bigint,
    next_threshold_percent bigint or NULL for the highest), from var `spend_alert_thresholds`
    (default [50, 80, 100]).
-#}
{% macro spend_thresholds_relation() -%}
    {%- set thresholds = var('spend_alert_thresholds', [50, 80, 100]) | map('int') | sort -%}
    {%- for threshold in thresholds %}
        select
            cast({{ threshold }} as bigint) as threshold_percent,
            {% if not loop.last -%}
            cast({{ thresholds[loop.index] }} as bigint)
            {%- else -%}
            cast(null as bigint)
            {%- endif %} as next_threshold_percent
        {%- if not loop.last %}
        union all
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
