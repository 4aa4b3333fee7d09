{#- Marts that combine several aggregates of the same grain (calls and agent time per queue
    interval, say) take every key present in any of them, then left-join each aggregate on the
    full key: a FULL OUTER JOIN would do it, but ClickHouse fills a missing side's key columns
    with defaults instead of NULL, so the key would need coalescing everywhere. -#}

{% macro union_keys(relations, keys) -%}
    {%- for relation in relations %}
    select {{ keys | join(', ') }} from {{ relation }}
    {%- if not loop.last %}
    union distinct
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{% macro left_join_on_keys(left, right, keys) -%}
    left join {{ right }}
        on {% for key in keys -%}
        {{ left }}.{{ key }} = {{ right }}.{{ key }}
        {%- if not loop.last %}
        and {% endif %}
        {%- endfor %}
{%- endmacro %}
