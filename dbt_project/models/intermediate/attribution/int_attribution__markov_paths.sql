-- The journeys the Markov model learns from: one row per step (a run of touches in one channel)
-- of a journey, for each chain (conversion_type × conversion_level).
-- - Converting journeys: the eligible touches of each conversion, ending in `(conversion)`.
-- - Non-converting journeys: for each journey owner (account level: the account, or the person
--   when it has none; person level: the person), the touches that lie in no window of a
--   conversion of the chain, limited to the attribution_lookback_days before the owner's latest
--   such touch (so both kinds of journey span the same time), ending in `(null)`.
-- Touches are ordered by touched_at, ties by touchpoint_id (as in every attribution model);
-- consecutive touches in the same channel are one step, since a first-order chain's absorption
-- probabilities do not depend on how long it stays in a state.
{%- set include_sales = var('attribution_include_sales_touches') | string | lower in ['true', '1', 'yes'] %}
{%- set lookback_days = var('attribution_lookback_days') | int %}

with conversions as (
    select conversion_id, conversion_type, conversion_level from {{ ref('int_attribution__conversions') }}
),

eligible_touches as (
    select conversion_id, touchpoint_id, touched_at, channel
    from {{ ref('int_attribution__eligible_touches') }}
),

chains as (
    select distinct conversion_type, conversion_level from conversions
),

touchpoints as (
    select touchpoint_id, person_id, account_id, touched_at, channel
    from {{ ref('fct_touchpoints') }}
    where person_id is not null
    {%- if not include_sales %}
        and team = 'marketing'
    {%- endif %}
),

converting_touches as (
    select
        conversions.conversion_type,
        conversions.conversion_level,
        conversions.conversion_id as journey_id,
        true as is_converting,
        eligible_touches.touchpoint_id,
        eligible_touches.touched_at,
        eligible_touches.channel
    from eligible_touches
    inner join conversions on conversions.conversion_id = eligible_touches.conversion_id
),

used_touches as (
    select distinct conversion_type, conversion_level, touchpoint_id from converting_touches
),

owned_touches as (
    select 'account' as conversion_level, coalesce(account_id, person_id) as owner_id, touchpoint_id, touched_at, channel
    from touchpoints
    union all
    select 'person' as conversion_level, person_id as owner_id, touchpoint_id, touched_at, channel
    from touchpoints
),

unused_touches as (
    select
        chains.conversion_type,
        chains.conversion_level,
        owned_touches.owner_id,
        owned_touches.touchpoint_id,
        owned_touches.touched_at,
        owned_touches.channel,
        max(owned_touches.touched_at) over (
            partition by chains.conversion_type, chains.conversion_level, owned_touches.owner_id
        ) as last_touched_at
    from owned_touches
    inner join chains on chains.conversion_level = owned_touches.conversion_level
    left join used_touches
        on used_touches.conversion_type = chains.conversion_type
        and used_touches.conversion_level = chains.conversion_level
        and used_touches.touchpoint_id = owned_touches.touchpoint_id
    where used_touches.touchpoint_id is null
),

non_converting_touches as (
    select
        conversion_type,
        conversion_level,
        {{ surrogate_key(['conversion_type', 'conversion_level', 'owner_id']) }} as journey_id,
        false as is_converting,
        touchpoint_id,
        touched_at,
        channel
    from unused_touches
    where touched_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'last_touched_at') }}
),

journey_touches as (
    select * from converting_touches
    union all
    select * from non_converting_touches
),

ordered as (
    select
        journey_touches.*,
        lag(channel) over (
            partition by conversion_type, conversion_level, journey_id order by touched_at, touchpoint_id
        ) as previous_channel
    from journey_touches
),

steps as (
    -- a step starts where the channel changes
    select *
    from ordered
    where previous_channel is null or previous_channel <> channel
),

final as (
    select
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        journey_id,
        is_converting,
        cast(row_number() over (
            partition by conversion_type, conversion_level, journey_id order by touched_at, touchpoint_id
        ) as integer) as step_number,
        cast(count(*) over (partition by conversion_type, conversion_level, journey_id) as integer) as steps_count,
        channel,
        touchpoint_id as first_touchpoint_id
    from steps
)

select * from final
