-- churn_and_retention, every month: customers_at_start + new + reactivated - churned = closing,
-- and customers_at_start = the month before's closing_customers (0 in the tenant's first month).
-- A row returned here is a month whose customer counts do not add up.
with

retention as (

    select
        tenant_id,
        month,
        {{ add_months('month', '-1') }} as previous_month,
        customers_at_start,
        new_customers,
        reactivated_customers,
        churned_customers,
        closing_customers

    from {{ ref('churn_and_retention') }}

)

select
    retention.tenant_id,
    retention.month,
    retention.customers_at_start,
    previous.closing_customers as previous_closing_customers,
    retention.closing_customers
from retention
left join retention as previous
    on retention.tenant_id = previous.tenant_id
    and retention.previous_month = previous.month
where retention.customers_at_start + retention.new_customers + retention.reactivated_customers
    - retention.churned_customers != retention.closing_customers
    or retention.customers_at_start != coalesce(previous.closing_customers, 0)
