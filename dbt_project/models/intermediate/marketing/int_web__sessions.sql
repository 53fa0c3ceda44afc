-- One row per web session (see int_web__page_views), described by its landing page: its UTM
-- tags, click ids and referrer, and the channel the channel_mapping seed gives them.
with page_views as (
    select * from {{ ref('int_web__page_views') }}
),

session_stats as (
    select
        session_id,
        max(user_id) as user_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as page_views
    from page_views
    group by session_id
),

landing_pages as (
    select
        *,
        'web_session' as touch_type,
        case
            when gclid is not null then 'gclid'
            when fbclid is not null then 'fbclid'
            when li_fat_id is not null then 'li_fat_id'
            when mailchimp_campaign_id is not null then 'mc_cid'
        end as click_id_type
    from page_views
    where event_id = session_id
),

tagged as (
    select *, {{ channel_tag_key() }} as tag_key
    from landing_pages
),

channels as (
    {{ assign_channel('tagged') }}
),

final as (
    select
        tagged.session_id,
        tagged.visitor_id,
        tagged.anonymous_id,
        session_stats.user_id,
        session_stats.started_at,
        session_stats.ended_at,
        session_stats.page_views,
        tagged.page_url as landing_page_url,
        tagged.page_path as landing_page_path,
        tagged.referrer,
        tagged.referrer_host,
        tagged.utm_source,
        tagged.utm_medium,
        tagged.utm_campaign,
        tagged.utm_term,
        tagged.utm_content,
        tagged.click_id_type,
        tagged.gclid,
        tagged.fbclid,
        tagged.li_fat_id,
        tagged.mailchimp_campaign_id,
        tagged.mailchimp_unique_email_id,
        channels.channel,
        channels.channel_rule_priority,
        {{ campaign_key('tagged.utm_campaign', "'web'", 'cast(null as ' ~ dbt.type_string() ~ ')') }} as campaign_id
    from tagged
    inner join session_stats on session_stats.session_id = tagged.session_id
    inner join channels on channels.tag_key = tagged.tag_key
)

select * from final
