-- Usage-aware MRR bridge, per tenant and month: the month before's total MRR (0 before the
-- tenant's first month) + new + reactivation + expansion - contraction - churn of
-- mrr_movements_with_usage = this month's total MRR, exactly. A returned row does not close.
with

customer_months as (

    select * from {{ ref('usage_aware_mrr') }}

),

movements as (

    select * from {{ ref('mrr_movements_with_usage') }}

),

closing as (

    select tenant_id, month, cast(sum(total_mrr) as decimal(38, 6)) as closing_total_mrr
    from customer_months
    group by tenant_id, month

),

net_movements as (

    select
        tenant_id,
        month,
        cast(
            sum(case when movement in ('contraction', 'churn') then -amount else amount end)
            as decimal(38, 6)
        ) as net_movement
    from movements
    group by tenant_id, month

),

bridged as (

    select
        closing.tenant_id as tenant_id,
        closing.month as month,
        cast(coalesce(opening.closing_total_mrr, 0) as decimal(38, 6)) as opening_total_mrr,
        cast(coalesce(net_movements.net_movement, 0) as decimal(38, 6)) as net_movement,
        closing.closing_total_mrr as closing_total_mrr
    from closing
    left join closing as opening
        on closing.tenant_id = opening.tenant_id
        and {{ add_months('closing.month', -1) }} = opening.month
    left join net_movements
        on closing.tenant_id = net_movements.tenant_id
        and closing.month = net_movements.month

)

select *
from bridged
where opening_total_mrr + net_movement != closing_total_mrr
