{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    KPI series in long format: one row per tenant, dimension (tenant, carrier, queue, channel,
    provider), dimension value, KPI and 5-minute UTC bucket in which something was counted
    (docs/anomalies.md, "KPI series"). Every KPI is numerator / denominator of exact sums
    (integers and decimals), so the coarser marts (kpi_series_15m, kpi_series_60m) roll up
    exactly and both targets give the same digits. Buckets without events have no row here.
-#}
{%- set bucket_seconds = 300 -%}

with

calls as (

    select * from {{ ref('fct_calls') }}

),

call_quality as (

    select * from {{ ref('call_quality') }}

),

messages as (

    select * from {{ ref('stg_irisx__messages') }}

),

call_facts as (

    -- a call counts in the bucket of its start_at (set-up is what an outage or a spike hits)
    select
        calls.tenant_id as tenant_id,
        calls.carrier_id as carrier_id,
        calls.queue_id as queue_id,
        {{ bucket_start_us(epoch_us('calls.start_at'), bucket_seconds) }} as bucket_start_us,
        cast(case when calls.is_answered then 1 else 0 end as bigint) as answered_call,
        cast(case when calls.is_answered then calls.billsec else 0 end as bigint)
            as answered_call_billsec,
        cast(case when calls.is_abandoned then 1 else 0 end as bigint) as abandoned_call,
        cast(case when calls.is_queued then 1 else 0 end as bigint) as queued_call,
        cast(calls.cost as decimal(18, 6)) as call_cost,
        -- billable usage (int_usage_events): a call with billsec > 0 at its rated price
        cast(case when calls.billsec > 0 then 1 else 0 end as bigint) as billable_call,
        cast(case when calls.billsec > 0 then calls.price end as decimal(18, 6)) as call_spend,
        -- call_quality's MOS has 4 decimals: sum it exactly as integer ten-thousandths
        cast(round(call_quality.mos * 10000) as bigint) as call_mos_e4

    from calls
    left join call_quality
        on calls.tenant_id = call_quality.tenant_id
        and calls.call_id = call_quality.call_id

),

{%- set call_dimensions = [('tenant', none), ('carrier', 'carrier_id'), ('queue', 'queue_id')] %}

call_totals as (

    {%- for dimension, column in call_dimensions %}
    select
        tenant_id,
        cast('{{ dimension }}' as varchar) as dimension,
        cast({{ "'all'" if column is none else column }} as varchar) as dimension_value,
        bucket_start_us,
        cast(count(*) as bigint) as calls,
        cast(sum(answered_call) as bigint) as answered,
        cast(sum(answered_call_billsec) as bigint) as answered_billsec,
        cast(sum(abandoned_call) as bigint) as abandoned,
        cast(sum(queued_call) as bigint) as queued,
        cast(coalesce(sum(call_cost), 0) as decimal(38, 6)) as cost,
        cast(count(call_cost) as bigint) as rated_calls,
        cast(sum(billable_call) as bigint) as billable_calls,
        cast(coalesce(sum(call_spend), 0) as decimal(38, 6)) as spend,
        cast(coalesce(sum(call_mos_e4), 0) as bigint) as mos_e4,
        cast(count(call_mos_e4) as bigint) as calls_with_mos

    from call_facts
    {%- if column is not none %}
    where {{ column }} is not null
    {%- endif %}
    group by tenant_id, bucket_start_us{{ '' if column is none else ', ' ~ column }}
    {%- if not loop.last %}

    union all

    {% endif %}
    {%- endfor %}

),

outcome_events as (

    select * from messages
    where direction = 'outbound' and message_status in ('delivered', 'failed', 'bounced')

),

latest_outcome as (

    -- one final outcome per message (a re-delivered status event is the same outcome)
    {{ deduplicate(
        'outcome_events',
        partition_by='tenant_id, message_id',
        order_by=['occurred_at desc', 'event_id desc'],
    ) }}

),

message_facts as (

    -- a message counts in the bucket of its outcome (delivered, failed or bounced)
    select
        tenant_id,
        channel,
        provider,
        {{ bucket_start_us(epoch_us('occurred_at'), bucket_seconds) }} as bucket_start_us,
        cast(case when channel = 'sms' then 1 else 0 end as bigint) as is_sms,
        cast(case when channel = 'sms' and message_status = 'delivered' then 1 else 0 end
            as bigint) as is_sms_delivered,
        cast(case when channel = 'email' then 1 else 0 end as bigint) as is_email,
        cast(case when channel = 'email' and message_status = 'bounced' then 1 else 0 end
            as bigint) as is_email_bounced

    from latest_outcome

),

{%- set message_dimensions = [('tenant', none), ('channel', 'channel'), ('provider', 'provider')] %}

message_totals as (

    {%- for dimension, column in message_dimensions %}
    select
        tenant_id,
        cast('{{ dimension }}' as varchar) as dimension,
        cast({{ "'all'" if column is none else column }} as varchar) as dimension_value,
        bucket_start_us,
        cast(count(*) as bigint) as messages,
        cast(sum(is_sms) as bigint) as sms,
        cast(sum(is_sms_delivered) as bigint) as sms_delivered,
        cast(sum(is_email) as bigint) as emails,
        cast(sum(is_email_bounced) as bigint) as emails_bounced

    from message_facts
    {%- if column is not none %}
    where {{ column }} is not null
    {%- endif %}
    group by tenant_id, bucket_start_us{{ '' if column is none else ', ' ~ column }}
    {%- if not loop.last %}

    union all

    {% endif %}
    {%- endfor %}

),

sent_events as (

    select * from messages where message_status = 'sent'

),

latest_sent as (

    {{ deduplicate(
        'sent_events',
        partition_by='tenant_id, message_id',
        order_by=['occurred_at desc', 'event_id desc'],
    ) }}

),

message_spend as (

    -- billable usage (int_usage_events): a message's latest `sent` event at its rated price
    select
        tenant_id,
        {{ bucket_start_us(epoch_us('occurred_at'), bucket_seconds) }} as bucket_start_us,
        cast(count(*) as bigint) as billable_messages,
        cast(coalesce(sum(cast(price as decimal(18, 6))), 0) as decimal(38, 6)) as spend

    from latest_sent
    group by tenant_id, {{ bucket_start_us(epoch_us('occurred_at'), bucket_seconds) }}

),

tenant_call_totals as (

    select * from call_totals where dimension = 'tenant'

),

spend_keys as (

    select tenant_id, bucket_start_us from tenant_call_totals
    union distinct
    select tenant_id, bucket_start_us from message_spend

),

tenant_spend as (

    select
        spend_keys.tenant_id as tenant_id,
        spend_keys.bucket_start_us as bucket_start_us,
        cast(
            coalesce(tenant_call_totals.billable_calls, 0)
            + coalesce(message_spend.billable_messages, 0)
            as bigint
        ) as billable_units,
        cast(coalesce(tenant_call_totals.spend, 0) + coalesce(message_spend.spend, 0)
            as decimal(38, 6)) as spend

    from spend_keys
    left join tenant_call_totals
        on spend_keys.tenant_id = tenant_call_totals.tenant_id
        and spend_keys.bucket_start_us = tenant_call_totals.bucket_start_us
    left join message_spend
        on spend_keys.tenant_id = message_spend.tenant_id
        and spend_keys.bucket_start_us = message_spend.bucket_start_us

),

{#- (kpi, aggregation, source, numerator, denominator, dimensions): 'sum' KPIs are the
    numerator itself (denominator = the events counted); 'ratio' KPIs are numerator /
    denominator and have a row only where the denominator is positive. -#}
{%- set kpis = [
    ('call_volume', 'sum', 'call_totals', 'calls', 'calls', ['tenant', 'carrier', 'queue']),
    ('asr', 'ratio', 'call_totals', 'answered', 'calls', ['tenant', 'carrier']),
    ('acd_sec', 'ratio', 'call_totals', 'answered_billsec', 'answered', ['tenant', 'carrier']),
    ('cost', 'sum', 'call_totals', 'cost', 'rated_calls', ['tenant', 'carrier']),
    ('mos', 'ratio', 'call_totals', 'mos_e4_as_mos', 'calls_with_mos', ['tenant', 'carrier']),
    ('abandon_rate', 'ratio', 'call_totals', 'abandoned', 'queued', ['tenant', 'queue']),
    ('message_volume', 'sum', 'message_totals', 'messages', 'messages',
        ['tenant', 'channel', 'provider']),
    ('sms_delivery_rate', 'ratio', 'message_totals', 'sms_delivered', 'sms',
        ['tenant', 'channel', 'provider']),
    ('email_bounce_rate', 'ratio', 'message_totals', 'emails_bounced', 'emails',
        ['tenant', 'channel', 'provider']),
    ('spend', 'sum', 'tenant_spend', 'spend', 'billable_units', ['tenant']),
] %}

kpi_rows as (

    {%- for kpi, aggregation, source, numerator, denominator, dimensions in kpis %}
    select
        tenant_id,
        {{ "cast('tenant' as varchar)" if source == 'tenant_spend' else 'dimension' }}
            as dimension,
        {{ "cast('all' as varchar)" if source == 'tenant_spend' else 'dimension_value' }}
            as dimension_value,
        bucket_start_us,
        cast('{{ kpi }}' as varchar) as kpi,
        cast('{{ aggregation }}' as varchar) as aggregation,
        {%- if numerator == 'mos_e4_as_mos' %}
        -- ten-thousandths back to MOS: exact at scale 6 on both targets
        cast(cast(mos_e4 as decimal(38, 6)) / 10000 as decimal(38, 6)) as numerator,
        {%- else %}
        cast({{ numerator }} as decimal(38, 6)) as numerator,
        {%- endif %}
        cast({{ denominator }} as bigint) as denominator

    from {{ source }}
    {%- if source != 'tenant_spend' %}
    where dimension in ('{{ dimensions | join("', '") }}')
    {%- if aggregation == 'ratio' %}
        and {{ denominator }} > 0
    {%- endif %}
    {%- endif %}
    {%- if not loop.last %}

    union all

    {% endif %}
    {%- endfor %}

),

final as (

    select
        tenant_id,
        {{ timestamp_from_us('bucket_start_us') }} as bucket_start,
        cast({{ bucket_seconds // 60 }} as integer) as grain_minutes,
        dimension,
        dimension_value,
        kpi,
        aggregation,
        numerator,
        denominator,
        {{ kpi_series_value('aggregation', 'numerator', 'denominator') }} as value

    from kpi_rows

)

select * from final
