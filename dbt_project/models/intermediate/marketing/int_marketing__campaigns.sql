-- One row per campaign record of any system (Google, Meta and LinkedIn Ads campaigns, Mailchimp
-- campaigns, file-drop campaigns, campaigns only the file drop's spend names) plus one per
-- utm_campaign no record claims, each with the warehouse's campaign key (campaign_key macro):
-- records of one campaign across systems share it through their utm_campaign.
-- An ad platform campaign's utm_campaign, in order: the ad_campaign_utm_map seed; the value most
-- landing pages of its Google click ids carry; a value equal to its name once both are reduced
-- to letters and digits (`Search - Brand` ~ `search-brand`).
{%- set platform_click_ids = {'google_ads': 'gclid', 'meta_ads': 'fbclid', 'linkedin_ads': 'li_fat_id'} %}

with utm_campaigns as (
    select * from {{ ref('int_marketing__utm_campaigns') }}
),

ad_platform_campaigns as (
    select
        source_system, source_record_id, source_system as platform, campaign_name, status, is_deleted,
        starts_on, ends_on
    from {{ ref('stg_google_ads__campaigns') }}
    union all
    select
        source_system, source_record_id, source_system, campaign_name, status, is_deleted,
        cast(starts_at as date),
        -- stop_time is the moment the campaign stops: its last day is the day before when at midnight
        cast({{ dbt.dateadd('second', -1, 'stops_at') }} as date)
    from {{ ref('stg_meta_ads__campaigns') }}
    union all
    select
        source_system, source_record_id, source_system, campaign_name, status, is_deleted,
        cast(starts_at as date),
        cast({{ dbt.dateadd('second', -1, 'ends_at') }} as date)
    from {{ ref('stg_linkedin_ads__campaigns') }}
),

seeded_utm as (
    select source_system, source_campaign_id, {{ normalized_utm('utm_campaign') }} as utm_campaign
    from {{ ref('ad_campaign_utm_map') }}
),

click_utm as (
    -- Google reports each click's gclid; the landing page of that click carries the utm_campaign
    select campaign_id, utm_campaign
    from (
        select
            clicks.campaign_id,
            sessions.utm_campaign,
            row_number() over (
                partition by clicks.campaign_id order by count(*) desc, sessions.utm_campaign
            ) as frequency_rank
        from {{ ref('stg_google_ads__clicks') }} as clicks
        inner join {{ ref('int_web__sessions') }} as sessions on sessions.gclid = clicks.gclid
        where sessions.utm_campaign is not null
        group by clicks.campaign_id, sessions.utm_campaign
    ) as ranked
    where frequency_rank = 1
),

name_utm as (
    select
        ad_platform_campaigns.source_system,
        ad_platform_campaigns.source_record_id,
        min(utm_campaigns.utm_campaign) as utm_campaign
    from ad_platform_campaigns
    inner join utm_campaigns
        on {{ campaign_match_name('utm_campaigns.utm_campaign') }}
           = {{ campaign_match_name('ad_platform_campaigns.campaign_name') }}
    group by ad_platform_campaigns.source_system, ad_platform_campaigns.source_record_id
),

ad_platform_records as (
    select
        ad_platform_campaigns.*,
        coalesce(seeded_utm.utm_campaign, click_utm.utm_campaign, name_utm.utm_campaign) as utm_campaign,
        case
            when seeded_utm.utm_campaign is not null then 'ad_campaign_utm_map'
            when click_utm.utm_campaign is not null then 'click_ids'
            when name_utm.utm_campaign is not null then 'campaign_name'
        end as utm_campaign_found_by,
        case ad_platform_campaigns.platform
            {%- for platform, click_id in platform_click_ids.items() %}
            when '{{ platform }}' then '{{ click_id }}'
            {%- endfor %}
        end as click_id_type,
        cast(null as {{ dbt.type_string() }}) as stated_channel,
        1 as record_priority
    from ad_platform_campaigns
    left join seeded_utm
        on seeded_utm.source_system = ad_platform_campaigns.source_system
        and seeded_utm.source_campaign_id = ad_platform_campaigns.source_record_id
    left join click_utm
        on ad_platform_campaigns.source_system = 'google_ads'
        and click_utm.campaign_id = ad_platform_campaigns.source_record_id
    left join name_utm
        on name_utm.source_system = ad_platform_campaigns.source_system
        and name_utm.source_record_id = ad_platform_campaigns.source_record_id
),

mailchimp_records as (
    select
        source_system, source_record_id, 'mailchimp' as platform, campaign_name, status, false as is_deleted,
        cast(sent_at as date) as starts_on, cast(sent_at as date) as ends_on,
        utm_campaign,
        case when utm_campaign is not null then 'link_tracking' end as utm_campaign_found_by,
        'mc_cid' as click_id_type,
        cast(null as {{ dbt.type_string() }}) as stated_channel,
        2 as record_priority
    from {{ ref('stg_mailchimp__campaigns') }}
),

file_drop_records as (
    select
        source_system, source_record_id, platform, campaign_name,
        cast(null as {{ dbt.type_string() }}) as status, false as is_deleted,
        starts_on, ends_on,
        utm_campaign,
        case when utm_campaign is not null then 'file_drop' end as utm_campaign_found_by,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        lower(channel) as stated_channel,
        3 as record_priority
    from {{ ref('stg_file_drop__campaigns') }}
),

spend_only_records as (
    -- campaigns known only from spend rows (e.g. a file-drop tool that sends spend but no campaigns)
    select
        spend.source_system, spend.platform_campaign_id as source_record_id, max(spend.platform) as platform,
        max(spend.campaign_name) as campaign_name,
        cast(null as {{ dbt.type_string() }}) as status, false as is_deleted,
        min(spend.spend_date) as starts_on, max(spend.spend_date) as ends_on,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_campaign_found_by,
        max(case spend.platform
            {%- for platform, click_id in platform_click_ids.items() %}
            when '{{ platform }}' then '{{ click_id }}'
            {%- endfor %}
        end) as click_id_type,
        max(spend.channel) as stated_channel,
        4 as record_priority
    from {{ ref('int_ad_spend__daily') }} as spend
    where not exists (
        select 1 from ad_platform_campaigns
        where ad_platform_campaigns.source_system = spend.source_system
        and ad_platform_campaigns.source_record_id = spend.platform_campaign_id
    )
    and not exists (
        select 1 from file_drop_records
        where file_drop_records.source_system = spend.source_system
        and file_drop_records.source_record_id = spend.platform_campaign_id
    )
    group by spend.source_system, spend.platform_campaign_id
),

records as (
    select
        source_system, source_record_id, platform, campaign_name, status, is_deleted, starts_on, ends_on,
        utm_campaign, utm_campaign_found_by, click_id_type, stated_channel, record_priority
    from ad_platform_records
    union all
    select
        source_system, source_record_id, platform, campaign_name, status, is_deleted, starts_on, ends_on,
        utm_campaign, utm_campaign_found_by, click_id_type, stated_channel, record_priority
    from mailchimp_records
    union all
    select
        source_system, source_record_id, platform, campaign_name, status, is_deleted, starts_on, ends_on,
        utm_campaign, utm_campaign_found_by, click_id_type, stated_channel, record_priority
    from file_drop_records
    union all
    select
        source_system, source_record_id, platform, campaign_name, status, is_deleted, starts_on, ends_on,
        utm_campaign, utm_campaign_found_by, click_id_type, stated_channel, record_priority
    from spend_only_records
),

keyed_records as (
    select
        {{ campaign_key('utm_campaign', 'source_system', 'source_record_id') }} as campaign_id,
        records.*
    from records
),

utm_only_records as (
    select
        utm_campaigns.source_system,
        utm_campaigns.utm_campaign as source_record_id,
        cast(null as {{ dbt.type_string() }}) as platform,
        utm_campaigns.utm_campaign as campaign_name,
        cast(null as {{ dbt.type_string() }}) as status,
        false as is_deleted,
        cast(utm_campaigns.first_touched_at as date) as starts_on,
        cast(utm_campaigns.last_touched_at as date) as ends_on,
        utm_campaigns.utm_campaign,
        'utm_tags' as utm_campaign_found_by,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as stated_channel,
        5 as record_priority
    from utm_campaigns
    where not exists (select 1 from keyed_records where keyed_records.campaign_id = utm_campaigns.campaign_id)
),

all_records as (
    select * from keyed_records
    union all
    select {{ campaign_key('utm_campaign', 'source_system', 'source_record_id') }} as campaign_id, utm_only_records.*
    from utm_only_records
),

rule_tags as (
    -- a campaign no touch carried: its channel from the rules, on its utm_campaign and the
    -- click id its platform puts on links (Mailchimp's link tracking tags utm_medium=email)
    select
        all_records.*,
        cast(null as {{ dbt.type_string() }}) as touch_type,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        case when platform = 'mailchimp' then 'email' end as utm_medium,
        cast(null as {{ dbt.type_string() }}) as referrer_host
    from all_records
),

keyed_tags as (
    select *, {{ channel_tag_key() }} as tag_key
    from rule_tags
),

rule_channels as (
    {{ assign_channel('keyed_tags') }}
),

final as (
    select
        keyed_tags.campaign_id,
        keyed_tags.source_system,
        keyed_tags.source_record_id,
        keyed_tags.platform,
        keyed_tags.campaign_name,
        keyed_tags.utm_campaign,
        keyed_tags.utm_campaign_found_by,
        utm_campaigns.utm_source,
        utm_campaigns.utm_medium,
        -- stated by the file drop, else the channel most of its touches have, else the rules'
        coalesce(keyed_tags.stated_channel, utm_campaigns.channel, rule_channels.channel) as channel,
        keyed_tags.status,
        keyed_tags.is_deleted,
        coalesce(keyed_tags.starts_on, cast(utm_campaigns.first_touched_at as date)) as starts_on,
        coalesce(keyed_tags.ends_on, cast(utm_campaigns.last_touched_at as date)) as ends_on,
        coalesce(utm_campaigns.touch_count, 0) as touch_count,
        keyed_tags.record_priority
    from keyed_tags
    inner join rule_channels on rule_channels.tag_key = keyed_tags.tag_key
    left join utm_campaigns on utm_campaigns.campaign_id = keyed_tags.campaign_id
)

select * from final
