-- The tag combinations that no rule of the channel_mapping seed maps (channel `unmapped`), with
-- how many touches carry them: what marketing operations adds rules for. Empty when every touch
-- has a channel.
with touchpoints as (
    select * from {{ ref('int_touchpoints__marketing') }}
    where channel = 'unmapped'
),

final as (
    select
        touch_type,
        source_system,
        utm_source,
        utm_medium,
        utm_campaign,
        referrer_host,
        count(*) as touch_count,
        min(touched_at) as first_touched_at,
        max(touched_at) as last_touched_at
    from touchpoints
    group by touch_type, source_system, utm_source, utm_medium, utm_campaign, referrer_host
)

select * from final
