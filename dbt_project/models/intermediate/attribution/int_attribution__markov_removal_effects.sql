-- The Markov model's removal effects (Anderl et al., 2016), one row per chain
-- (conversion_type × conversion_level) and channel.
-- P = the probability that a journey starting at `(start)` reaches `(conversion)`; P without c =
-- the same when channel c is removed (every move into c goes to `(null)` instead). The removal
-- effect of c is 1 - (P without c) / P; a channel's share is its removal effect divided by the
-- sum over the chain's channels, so the shares sum to 1.
-- The absorption probabilities are solved in SQL by value iteration: p(s) = sum over t of
-- probability(s, t) * p(t), with p(conversion) = 1, p(null) = p(removed channel) = 0, starting
-- from 0 and repeated var attribution_markov_passes times (each pass one join and one GROUP BY,
-- generated below). One pass more gives `convergence_residual`; the test markov_converged fails
-- when it is not negligible, which tells the analyst to raise the passes.
{%- set passes = var('attribution_markov_passes') | int %}
{%- if passes < 1 %}
    {{ exceptions.raise_compiler_error("attribution_markov_passes must be at least 1") }}
{%- endif %}

with transitions as (
    select conversion_type, conversion_level, from_state, to_state, probability
    from {{ ref('int_attribution__markov_transitions') }}
),

channels as (
    select distinct conversion_type, conversion_level, from_state as channel
    from transitions
    where from_state <> '(start)'
),

scenarios as (
    -- the whole chain, and the chain without each of its channels
    select distinct conversion_type, conversion_level, '(none)' as removed_channel from channels
    union all
    select conversion_type, conversion_level, channel as removed_channel from channels
),

pass_0 as (
    select
        scenarios.conversion_type,
        scenarios.conversion_level,
        scenarios.removed_channel,
        states.from_state as state,
        cast(0 as double precision) as p
    from scenarios
    inner join (select distinct conversion_type, conversion_level, from_state from transitions) as states
        on states.conversion_type = scenarios.conversion_type
        and states.conversion_level = scenarios.conversion_level
),

{%- for pass_number in range(1, passes + 2) %}

pass_{{ pass_number }} as (
    select
        transitions.conversion_type,
        transitions.conversion_level,
        scenarios.removed_channel,
        transitions.from_state as state,
        sum(transitions.probability * case
            when transitions.to_state = '(conversion)' then 1
            when transitions.to_state = scenarios.removed_channel then 0
            else coalesce(previous.p, 0)
        end) as p
    from transitions
    inner join scenarios
        on scenarios.conversion_type = transitions.conversion_type
        and scenarios.conversion_level = transitions.conversion_level
    left join pass_{{ pass_number - 1 }} as previous
        on previous.conversion_type = transitions.conversion_type
        and previous.conversion_level = transitions.conversion_level
        and previous.removed_channel = scenarios.removed_channel
        and previous.state = transitions.to_state
    group by transitions.conversion_type, transitions.conversion_level, scenarios.removed_channel,
        transitions.from_state
),
{%- endfor %}

solved as (
    select
        last_pass.conversion_type,
        last_pass.conversion_level,
        last_pass.removed_channel,
        last_pass.p as conversion_probability,
        abs(check_pass.p - last_pass.p) as convergence_residual
    from pass_{{ passes }} as last_pass
    inner join pass_{{ passes + 1 }} as check_pass
        on check_pass.conversion_type = last_pass.conversion_type
        and check_pass.conversion_level = last_pass.conversion_level
        and check_pass.removed_channel = last_pass.removed_channel
        and check_pass.state = last_pass.state
    where last_pass.state = '(start)'
),

effects as (
    select
        removed.conversion_type,
        removed.conversion_level,
        removed.removed_channel as channel,
        whole.conversion_probability,
        removed.conversion_probability as conversion_probability_without_channel,
        case when whole.conversion_probability > 0
             then greatest(1 - removed.conversion_probability / whole.conversion_probability, 0)
             else 0
        end as removal_effect,
        greatest(whole.convergence_residual, removed.convergence_residual) as convergence_residual
    from solved as removed
    inner join solved as whole
        on whole.conversion_type = removed.conversion_type
        and whole.conversion_level = removed.conversion_level
        and whole.removed_channel = '(none)'
    where removed.removed_channel <> '(none)'
),

final as (
    select
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(conversion_probability as double precision) as conversion_probability,
        cast(conversion_probability_without_channel as double precision) as conversion_probability_without_channel,
        cast(removal_effect as double precision) as removal_effect,
        cast(case when sum(removal_effect) over (partition by conversion_type, conversion_level) > 0
             then removal_effect / sum(removal_effect) over (partition by conversion_type, conversion_level)
             else 0
        end as double precision) as removal_effect_share,
        cast(convergence_residual as double precision) as convergence_residual
    from effects
)

select * from final
