{#-
    Rounding of floating-point results that gives the same digits on DuckDB and ClickHouse.

    round() breaks exact ties differently (DuckDB half away from zero, ClickHouse half to even;
    reference/DIALECTS.md), and ties are common here: a median of an even count or an
    interpolated percentile of values with 4 decimals often ends in ...5 at the 5th decimal
    (0.78125 % = 2/256 is one exactly). A nudge of 10^-(digits + 5) first sends such a tie up on
    both targets; the two engines' results differ by far less (ulps), and a value that is not a
    tie sits further than the nudge from one when it comes from few-decimal inputs by a percentile
    or a mean of fewer than about 10,000 values.
-#}
{% macro round_ties_up(expression, digits=4) -%}
    round(({{ expression }}) + {{ '%.0e' | format(10 ** -(digits + 5)) }}, {{ digits }})
{%- endmacro %}
