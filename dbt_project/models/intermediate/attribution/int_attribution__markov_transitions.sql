-- The first-order Markov chain of each chain (conversion_type × conversion_level): how often
-- journeys moved from one state to the next, and the transition probability. States are the
-- channels plus `(start)`, `(conversion)` and `(null)` (a journey that ended without converting).
with paths as (
    select * from {{ ref('int_attribution__markov_paths') }}
),

moves as (
    select
        conversion_type,
        conversion_level,
        '(start)' as from_state,
        channel as to_state
    from paths
    where step_number = 1
    union all
    select
        conversion_type,
        conversion_level,
        channel as from_state,
        lead(channel) over (
            partition by conversion_type, conversion_level, journey_id order by step_number
        ) as to_state
    from paths
    union all
    select
        conversion_type,
        conversion_level,
        channel as from_state,
        case when is_converting then '(conversion)' else '(null)' end as to_state
    from paths
    where step_number = steps_count
),

counted as (
    select conversion_type, conversion_level, from_state, to_state, count(*) as transitions
    from moves
    where to_state is not null
    group by conversion_type, conversion_level, from_state, to_state
),

final as (
    select
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        cast(from_state as {{ dbt.type_string() }}) as from_state,
        cast(to_state as {{ dbt.type_string() }}) as to_state,
        cast(transitions as bigint) as transitions,
        cast(transitions as double precision) / sum(transitions) over (
            partition by conversion_type, conversion_level, from_state
        ) as probability
    from counted
)

select * from final
