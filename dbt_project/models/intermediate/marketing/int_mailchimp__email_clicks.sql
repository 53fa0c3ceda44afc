-- One row per click in a Mailchimp email, with its channel (channel_mapping seed) and campaign:
-- the utm_campaign of the link clicked, else the one Mailchimp's link tracking gives the campaign.
-- Incremental by day with a lookback of var event_lookback_days (reports are re-read).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='email_activity_id',
    on_schema_change='append_new_columns'
) }}
with clicks as (
    select * from {{ ref('stg_mailchimp__email_activity') }}
    where action = 'click'
    {% if is_incremental() %}
      and cast(occurred_at as date) >= {{ incremental_first_day('occurred_on') }}
    {% endif %}
),

campaigns as (
    select campaign_id, utm_campaign from {{ ref('stg_mailchimp__campaigns') }}
),

tagged as (
    select
        clicks.*,
        coalesce(clicks.utm_campaign, campaigns.utm_campaign) as resolved_utm_campaign,
        'email_click' as touch_type,
        cast(null as {{ dbt.type_string() }}) as referrer_host,
        'mc_cid' as click_id_type
    from clicks
    left join campaigns on campaigns.campaign_id = clicks.campaign_id
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
        keyed.email_activity_id,
        keyed.source_system,
        keyed.source_record_id,
        keyed.campaign_id as mailchimp_campaign_id,
        keyed.list_id,
        keyed.member_id,
        keyed.mailchimp_unique_email_id,
        keyed.url,
        keyed.utm_source,
        keyed.utm_medium,
        keyed.utm_campaign,
        keyed.resolved_utm_campaign,
        channels.channel,
        channels.channel_rule_priority,
        {{ campaign_key('keyed.resolved_utm_campaign', "'mailchimp'", 'keyed.campaign_id') }} as campaign_id,
        keyed.occurred_at,
        cast(keyed.occurred_at as date) as occurred_on
    from keyed
    inner join channels on channels.tag_key = keyed.tag_key
)

select * from final
