{#-
    Agent state time split into 15-minute intervals: one row per span and interval it overlaps,
    with the microseconds of the span inside that interval. A span is followed for at most 96
    intervals (24 hours); longer ones (an agent who never logged out) are clipped there.
-#}

{%- set interval_seconds = 900 -%}
{%- set interval_us = interval_seconds * 1000000 -%}

with

spans as (

    select * from {{ ref('int_agent_state_spans') }}

),

interval_offsets as (

    {{ integer_series(96) }}

),

span_intervals as (

    select
        spans.tenant_id as tenant_id,
        spans.agent_id as agent_id,
        spans.queue_id as queue_id,
        spans.agent_state as agent_state,
        spans.scheduled_activity as scheduled_activity,
        spans.start_us as start_us,
        spans.end_us as end_us,
        {{ bucket_start_us('spans.start_us', interval_seconds) }}
            + interval_offsets.n * {{ interval_us }} as interval_start_us

    from spans
    cross join interval_offsets
    where {{ bucket_start_us('spans.start_us', interval_seconds) }}
        + interval_offsets.n * {{ interval_us }} < spans.end_us

),

time_in_interval as (

    select
        tenant_id,
        agent_id,
        queue_id,
        agent_state,
        scheduled_activity,
        interval_start_us,
        least(end_us, interval_start_us + {{ interval_us }})
            - greatest(start_us, interval_start_us) as duration_us

    from span_intervals

)

select * from time_in_interval
