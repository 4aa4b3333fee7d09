{#-
    The documented columns of a source table (from its YAML), quoted, in YAML order. Staging uses
    them as the final tie-breakers of the dedupe order. The graph is only filled at execution time;
    during parsing this returns an empty list (nothing is run then).
-#}
{% macro source_column_names(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set matches = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | list -%}
    {%- if matches | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            'source_column_names: no source table ' ~ source_name ~ '.' ~ table_name) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column_name in matches[0].columns -%}
        {%- do names.append(adapter.quote(column_name)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
