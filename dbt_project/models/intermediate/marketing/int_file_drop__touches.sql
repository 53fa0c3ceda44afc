-- One row per file-drop touch (e.g. a badge scan), with its channel and campaign. The channel is
-- the one the file states (the format requires one of the warehouse's channels); the rules of
-- the channel_mapping seed only fill a missing one. The campaign: the touch's utm_campaign, else
-- the utm_campaign of the file-drop campaign its campaign_id names (or that campaign itself when
-- it has none), else its campaign_id read as the utm_campaign another system gives the campaign.
with touches as (
    select * from {{ ref('stg_file_drop__touches') }}
),

campaigns as (
    select source_system, campaign_id, utm_campaign from {{ ref('stg_file_drop__campaigns') }}
),

tagged as (
    select
        touches.*,
        case
            when touches.utm_campaign is not null then touches.utm_campaign
            when campaigns.campaign_id is not null then campaigns.utm_campaign
            else {{ normalized_utm('touches.campaign_id') }}
        end as resolved_utm_campaign,
        'file_drop_touch' as touch_type,
        cast(null as {{ dbt.type_string() }}) as referrer_host,
        cast(null as {{ dbt.type_string() }}) as click_id_type
    from touches
    left join campaigns
        on campaigns.source_system = touches.source_system
        and campaigns.campaign_id = touches.campaign_id
),

keyed as (
    select *, {{ channel_tag_key() }} as tag_key
    from tagged
),

channels as (
    {{ assign_channel('keyed') }}
),

final as (
    select
        keyed.file_drop_touch_id,
        keyed.source_system,
        keyed.source_record_id,
        keyed.touch_id,
        keyed.person_id,
        keyed.anonymous_id,
        keyed.email,
        keyed.url,
        keyed.utm_source,
        keyed.utm_medium,
        keyed.utm_campaign,
        keyed.resolved_utm_campaign,
        coalesce(lower(keyed.channel), channels.channel) as channel,
        case when keyed.channel is null then channels.channel_rule_priority end as channel_rule_priority,
        {{ campaign_key('keyed.resolved_utm_campaign', 'keyed.source_system', 'keyed.campaign_id') }} as campaign_id,
        keyed.occurred_at
    from keyed
    inner join channels on channels.tag_key = keyed.tag_key
)

select * from final
