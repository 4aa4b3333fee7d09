-- usage_revenue: rated units never exceed billable units, rated_share lies in [0, 1], and the
-- units add up (billable_units = calls + messages). A returned row breaks one of these.
select *
from {{ ref('usage_revenue') }}
where rated_units > billable_units
    or rated_share < 0
    or rated_share > 1
    or billable_units != calls + messages
    or (rated_units = 0 and revenue is not null)
