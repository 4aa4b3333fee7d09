{#-
    KPI series (docs/anomalies.md, "KPI series"): the value of a row from its exact numerator and
    denominator, and the roll-up of kpi_series_5m to a coarser grain.
-#}

{#- A 'sum' KPI is its numerator; a 'ratio' KPI is numerator / denominator (NULL when 0). -#}
{% macro kpi_series_value(aggregation, numerator, denominator) -%}
    case
        when {{ aggregation }} = 'sum' then cast({{ numerator }} as double)
        else {{ safe_divide(numerator, denominator) }}
    end
{%- endmacro %}

{#-
    kpi_series_5m summed into `minutes`-long UTC buckets (a multiple of 5 that divides a day):
    numerators and denominators add up, the value is recomputed from them, so a 15- or 60-minute
    ratio is exactly the ratio of the events in it. Every 'sum' KPI series (tenant, dimension,
    value, KPI) is made regular: each bucket from its first to its last gets a row, with zero
    numerator and denominator where nothing was counted (detectors need a regular grid; a quiet
    night is 0 calls, not a missing point). 'ratio' KPIs keep only buckets with a positive
    denominator (a rate over nothing is undefined, so the point is missing). The grid is
    `var('kpi_series_max_days', 400)` days long at most per series.
-#}
{% macro kpi_series_rollup(minutes) -%}
{%- set bucket_seconds = minutes * 60 -%}
{%- set max_buckets = var('kpi_series_max_days', 400) * (1440 // minutes) -%}
{%- set series_key = ['tenant_id', 'dimension', 'dimension_value', 'kpi'] -%}

with

fine_rows as (

    -- renamed: ClickHouse resolves an alias anywhere in the query, so `sum(numerator) as
    -- numerator` would nest aggregates
    select
        tenant_id,
        dimension,
        dimension_value,
        kpi,
        aggregation,
        bucket_start as fine_bucket_start,
        numerator as fine_numerator,
        denominator as fine_denominator

    from {{ ref('kpi_series_5m') }}

),

rolled_up as (

    select
        tenant_id,
        dimension,
        dimension_value,
        kpi,
        aggregation,
        {{ bucket_start_us(epoch_us('fine_bucket_start'), bucket_seconds) }} as bucket_start_us,
        cast(sum(fine_numerator) as decimal(38, 6)) as numerator,
        cast(sum(fine_denominator) as bigint) as denominator

    from fine_rows
    group by
        tenant_id, dimension, dimension_value, kpi, aggregation,
        {{ bucket_start_us(epoch_us('fine_bucket_start'), bucket_seconds) }}

),

sum_series as (

    select
        tenant_id,
        dimension,
        dimension_value,
        kpi,
        aggregation,
        min(bucket_start_us) as first_bucket_us,
        cast(
            {{ ratio_integer_divide('max(bucket_start_us) - min(bucket_start_us)',
                                    bucket_seconds * 1000000) }}
            as bigint
        ) as last_offset

    from rolled_up
    where aggregation = 'sum'
    group by tenant_id, dimension, dimension_value, kpi, aggregation

),

offsets as (

    {{ integer_series(max_buckets) }}

),

sum_grid as (

    select
        sum_series.tenant_id as tenant_id,
        sum_series.dimension as dimension,
        sum_series.dimension_value as dimension_value,
        sum_series.kpi as kpi,
        sum_series.aggregation as aggregation,
        cast(sum_series.first_bucket_us + offsets.n * {{ bucket_seconds * 1000000 }} as bigint)
            as bucket_start_us

    from sum_series
    cross join offsets
    where offsets.n <= sum_series.last_offset

),

dense_sums as (

    select
        sum_grid.tenant_id as tenant_id,
        sum_grid.dimension as dimension,
        sum_grid.dimension_value as dimension_value,
        sum_grid.kpi as kpi,
        sum_grid.aggregation as aggregation,
        sum_grid.bucket_start_us as bucket_start_us,
        cast(coalesce(rolled_up.numerator, 0) as decimal(38, 6)) as numerator,
        cast(coalesce(rolled_up.denominator, 0) as bigint) as denominator

    from sum_grid
    {{ left_join_on_keys('sum_grid', 'rolled_up', series_key + ['bucket_start_us']) }}

),

all_rows as (

    select * from dense_sums
    union all
    select * from rolled_up where aggregation = 'ratio'

),

final as (

    select
        tenant_id,
        {{ timestamp_from_us('bucket_start_us') }} as bucket_start,
        cast({{ minutes }} as integer) as grain_minutes,
        dimension,
        dimension_value,
        kpi,
        aggregation,
        numerator,
        denominator,
        {{ kpi_series_value('aggregation', 'numerator', 'denominator') }} as value

    from all_rows

)

select * from final
{%- endmacro %}
