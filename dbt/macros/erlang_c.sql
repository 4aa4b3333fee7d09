{#-
    Erlang C in SQL (the formulas of models_ml/wfm/erlang.py and FORMULAS.md) for the
    service_level_variance mart. The Erlang B recursion is sequential, so B is taken from its
    closed form instead: 1/B(N, A) = sum over j = 0..N of N! / ((N - j)! * A^j), each term
    exp(lgamma(N + 1) - lgamma(N - j + 1) - j * ln(A)) summed over a cross join with
    integer_series (check: A = 2, N = 3 gives 1 + 3/2 + 6/4 + 6/8 = 4.75, B = 4/19). An exponent is
    capped at 600 (a term of at most e^600 ~ 1e260) so that thousands of terms never overflow a
    double; a capped sum only arises when B < 1e-260, where Pw and the SL are 0 and 1 to any
    printed digit. Plain arithmetic, exp, ln and lgamma: both targets.
-#}

{#- One term of 1/B(N, A) for j (requires A > 0 and 0 <= j <= N). -#}
{% macro erlang_b_inverse_term(load, agents, j) -%}
    exp(least(
        lgamma(cast({{ agents }} as double) + 1)
        - lgamma(cast(({{ agents }}) - ({{ j }}) as double) + 1)
        - cast({{ j }} as double) * ln({{ load }}),
        cast(600 as double)
    ))
{%- endmacro %}

{#-
    SL(t) = 1 - Pw * exp(-(N - A) * t / AHT), Pw = N * B / (N - A * (1 - B)), from 1/B: 1 with no
    load, 0 when N <= A (the queue grows without bound).
-#}
{% macro erlang_c_service_level(load, agents, inverse_blocking, aht_sec, answer_within_sec) -%}
    case
        when ({{ load }}) <= 0 then cast(1 as double)
        when cast({{ agents }} as double) <= ({{ load }}) then cast(0 as double)
        else 1 - (
            cast({{ agents }} as double) * (1 / ({{ inverse_blocking }}))
            / (cast({{ agents }} as double) - ({{ load }}) * (1 - 1 / ({{ inverse_blocking }})))
        ) * exp(
            -(cast({{ agents }} as double) - ({{ load }})) * {{ answer_within_sec }}
            / ({{ aht_sec }})
        )
    end
{%- endmacro %}

{#-
    The scenarios of a sequential substitution through Erlang C: one row per row of relation and
    scenario, with the keys, the scenario's name, its load A = calls * AHT / interval_seconds, its
    AHT and its (possibly fractional) agents. scenarios: (name, calls, aht_sec, agents) tuples of
    column names of relation; a union all of one select per scenario, in list order. Plain SQL:
    both targets compile it the same way.
-#}
{% macro erlang_c_scenarios(relation, keys, scenarios, interval_seconds) -%}
    {%- for name, calls, aht_sec, agents in scenarios %}
    select
        {{ keys | join(', ') }}, '{{ name }}' as scenario,
        {{ calls }} * {{ aht_sec }} / {{ interval_seconds }} as load,
        {{ aht_sec }} as aht_sec,
        {{ agents }} as agents
    from {{ relation }}
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
