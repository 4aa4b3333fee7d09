{#-
    Every deduplicated call with its destination route: the route of the longest calling code
    (seed country_calling_codes) that the called number's digits start with; 'unknown' when no
    code matches. Codes have 1 to 4 digits, so the number's first 1..4 digits are joined by
    equality (an equi-join works on both targets) and the longest match is kept.
-#}

with

calls as (

    select * from {{ ref('int_calls_deduplicated') }}

),

calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

prefix_lengths as (

    select n + 1 as prefix_length from ({{ integer_series(4) }}) as series

),

call_prefixes as (

    select
        calls.call_id as call_id,
        prefix_lengths.prefix_length as prefix_length,
        substring(calls.to_number, 2, prefix_lengths.prefix_length) as prefix
    from calls
    cross join prefix_lengths
    where length(calls.to_number) > prefix_lengths.prefix_length

),

matched_prefixes as (

    select
        call_prefixes.call_id as call_id,
        call_prefixes.prefix_length as prefix_length,
        calling_codes.route as route
    from call_prefixes
    inner join calling_codes
        on call_prefixes.prefix = cast(calling_codes.calling_code as varchar)

),

longest_match as (

    {{ deduplicate(
        'matched_prefixes',
        partition_by='call_id',
        order_by=['prefix_length desc'],
    ) }}

),

final as (

    select
        calls.*,
        cast(coalesce(longest_match.route, 'unknown') as varchar) as route
    from calls
    left join longest_match
        on calls.call_id = longest_match.call_id

)

select * from final
