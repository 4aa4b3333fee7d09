with

calls as (

    select * from {{ ref('stg_irisx__calls') }}

),

latest_record_per_call as (

    -- A switch may send a call's CDR again under a new event_id (e.g. after re-rating): it is
    -- still one call, described by its latest record. event_id (unique after staging) breaks ties.
    {{ deduplicate(
        'calls',
        partition_by='call_id',
        order_by=['occurred_at desc', 'event_id desc'],
    ) }}

)

select * from latest_record_per_call
