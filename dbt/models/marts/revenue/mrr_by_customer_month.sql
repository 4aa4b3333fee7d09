{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}

with

customer_months as (

    select * from {{ ref('int_mrr_customer_months') }}

),

final as (

    select
        tenant_id,
        customer_id,
        month,
        mrr,
        {{ as_boolean('mrr > 0') }} as is_active,
        first_active_month,
        last_active_month

    from customer_months

)

select * from final
