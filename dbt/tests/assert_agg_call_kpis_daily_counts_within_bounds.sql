-- Sub-counts can never exceed the count they are part of: a row returned here is a KPI bug.
select
    tenant_id,
    call_date,
    direction,
    offered,
    answered,
    queued,
    abandoned,
    answered_within_20s
from {{ ref('agg_call_kpis_daily') }}
where answered > offered
    or queued > offered
    or abandoned > queued
    or answered_within_20s > queued
    or abandoned + answered_within_20s > queued
