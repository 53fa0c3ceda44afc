-- One row per utm_campaign value the company's links carry (normalized: trimmed, lower case),
-- from web sessions, email clicks and file-drop touches, plus the values Mailchimp campaigns
-- and file-drop campaigns declare: how often and when it was seen, with its most frequent
-- source, medium and channel. Platform campaigns are matched to these values, and values no
-- platform claims become campaigns of their own in int_marketing__campaigns.
with tagged_touches as (
    select utm_campaign, utm_source, utm_medium, channel, 'web' as source_system, started_at as touched_at
    from {{ ref('int_web__sessions') }}
    where utm_campaign is not null
    union all
    select resolved_utm_campaign, utm_source, utm_medium, channel, source_system, occurred_at
    from {{ ref('int_mailchimp__email_clicks') }}
    where resolved_utm_campaign is not null
    union all
    select resolved_utm_campaign, utm_source, utm_medium, channel, source_system, occurred_at
    from {{ ref('int_file_drop__touches') }}
    where resolved_utm_campaign is not null
),

declared as (
    select utm_campaign, 'mailchimp' as source_system
    from {{ ref('stg_mailchimp__campaigns') }}
    where utm_campaign is not null
    union all
    select utm_campaign, source_system
    from {{ ref('stg_file_drop__campaigns') }}
    where utm_campaign is not null
),

all_values as (
    select utm_campaign, source_system from tagged_touches
    union
    select utm_campaign, source_system from declared
),

touch_stats as (
    select
        utm_campaign,
        count(*) as touch_count,
        min(touched_at) as first_touched_at,
        max(touched_at) as last_touched_at
    from tagged_touches
    group by utm_campaign
),

most_frequent_tags as (
    select utm_campaign, utm_source, utm_medium, channel, source_system
    from (
        select
            utm_campaign, utm_source, utm_medium, channel, source_system,
            row_number() over (
                partition by utm_campaign
                order by count(*) desc, channel, utm_source, utm_medium, source_system
            ) as frequency_rank
        from tagged_touches
        group by utm_campaign, utm_source, utm_medium, channel, source_system
    ) as ranked
    where frequency_rank = 1
),

first_system as (
    -- the system that names a value no touch carried
    select utm_campaign, min(source_system) as source_system
    from all_values
    group by utm_campaign
),

final as (
    select
        {{ campaign_key('first_system.utm_campaign', 'null', 'null') }} as campaign_id,
        first_system.utm_campaign,
        most_frequent_tags.utm_source,
        most_frequent_tags.utm_medium,
        most_frequent_tags.channel,
        coalesce(most_frequent_tags.source_system, first_system.source_system) as source_system,
        coalesce(touch_stats.touch_count, 0) as touch_count,
        touch_stats.first_touched_at,
        touch_stats.last_touched_at
    from first_system
    left join touch_stats on touch_stats.utm_campaign = first_system.utm_campaign
    left join most_frequent_tags on most_frequent_tags.utm_campaign = first_system.utm_campaign
)

select * from final
