-- Per customer, the signed movements up to a month add up to that month's MRR (new,
-- reactivation and expansion add; contraction and churn subtract). Checked at the as-of month.
with

signed as (

    select
        tenant_id,
        customer_id,
        sum(
            case
                when movement in ('contraction', 'churn') then -amount
                else amount
            end
        ) as net_movements

    from {{ ref('mrr_movements') }}
    group by tenant_id, customer_id

),

latest as (

    select tenant_id, customer_id, mrr
    from {{ ref('mrr_by_customer_month') }}
    where month = {{ revenue_as_of_month() }}

)

select
    latest.tenant_id,
    latest.customer_id,
    latest.mrr,
    signed.net_movements
from latest
left join signed
    on latest.tenant_id = signed.tenant_id
    and latest.customer_id = signed.customer_id
where signed.net_movements is null or signed.net_movements != latest.mrr
