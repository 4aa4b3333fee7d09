{#-
    The movement of a customer's month from its MRR and the month before's (docs/revenue.md,
    FORMULAS.md), in this order of precedence: new (first month with MRR > 0), reactivation (MRR
    > 0 after months at 0; decided before expansion, since both rise), churn (MRR falls to 0),
    expansion, contraction. Only for months whose MRR differs from the month before. Used by
    mrr_movements (committed MRR) and mrr_movements_with_usage (total MRR), so the two views
    cannot drift apart.
-#}
{% macro classify_movement(previous_mrr, mrr, month, first_active_month) -%}
    cast(
        case
            when {{ previous_mrr }} = 0 and {{ month }} = {{ first_active_month }} then 'new'
            when {{ previous_mrr }} = 0 then 'reactivation'
            when {{ mrr }} = 0 then 'churn'
            when {{ mrr }} > {{ previous_mrr }} then 'expansion'
            else 'contraction'
        end as varchar
    )
{%- endmacro %}
