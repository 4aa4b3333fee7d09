{#-
    One row per agent state event with the span it holds: from its occurred_at to the agent's next
    event (AgentStateChange: "it lasts until the agent's next event"). A logout span (logged out)
    and an agent's last event (end not known yet) have no duration and are left out. Instants are
    integer microseconds since the epoch, so durations are exact on both targets.
-#}

with

agent_states as (

    select * from {{ ref('stg_irisx__agent_states') }}

),

instants as (

    select
        tenant_id,
        agent_id,
        queue_id,
        agent_state,
        scheduled_activity,
        event_id,
        {{ epoch_us('occurred_at') }} as start_us

    from agent_states

),

with_next as (

    select
        *,
        {{ next_in_partition(
            'start_us', 'tenant_id, agent_id', 'start_us, event_id'
        ) }} as end_us

    from instants

),

spans as (

    select
        tenant_id,
        agent_id,
        queue_id,
        agent_state,
        scheduled_activity,
        event_id,
        start_us,
        end_us

    from with_next
    where end_us is not null
        and end_us > start_us
        and agent_state != 'logout'

)

select * from spans
