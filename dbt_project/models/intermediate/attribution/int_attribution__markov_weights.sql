-- The Markov model's weight of each eligible touch: its channel's removal-effect share in the
-- conversion's chain (conversion_type × conversion_level), split evenly over the conversion's
-- touches in that channel. fct_attribution_credits normalizes the weights per conversion, so a
-- conversion's credit goes to its channels in proportion to their removal effects. When none of
-- the conversion's channels has a removal effect, every touch weighs the same (linear).
with conversions as (
    select conversion_id, conversion_type, conversion_level from {{ ref('int_attribution__conversions') }}
),

touches as (
    select conversion_id, touchpoint_id, channel from {{ ref('int_attribution__eligible_touches') }}
),

effects as (
    select conversion_type, conversion_level, channel, removal_effect_share
    from {{ ref('int_attribution__markov_removal_effects') }}
),

touch_effects as (
    select
        touches.conversion_id,
        touches.touchpoint_id,
        coalesce(effects.removal_effect_share, 0) as removal_effect_share,
        count(*) over (partition by touches.conversion_id, touches.channel) as channel_touches
    from touches
    inner join conversions on conversions.conversion_id = touches.conversion_id
    left join effects
        on effects.conversion_type = conversions.conversion_type
        and effects.conversion_level = conversions.conversion_level
        and effects.channel = touches.channel
),

-- the sum of the removal-effect shares of the conversion's distinct channels
conversion_effects as (
    select conversion_id, sum(removal_effect_share / channel_touches) as total_share
    from touch_effects
    group by conversion_id
),

final as (
    select
        touch_effects.conversion_id,
        touch_effects.touchpoint_id,
        cast(case when conversion_effects.total_share > 0
             then touch_effects.removal_effect_share / touch_effects.channel_touches
             else 1
        end as double precision) as weight
    from touch_effects
    inner join conversion_effects on conversion_effects.conversion_id = touch_effects.conversion_id
)

select * from final
