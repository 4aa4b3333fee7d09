{#-
    MRR sums a tenant's amounts as they are: until FX conversion exists, a tenant whose periods are
    in several currencies must fail the build rather than add euros to dollars.
-#}

select
    tenant_id,
    count(distinct currency) as currencies

from {{ ref('int_subscription_periods') }}
group by tenant_id
having count(distinct currency) > 1
