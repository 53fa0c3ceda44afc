-- One row per marketing touch before identity resolution: web sessions, form fills, clicks in
-- Mailchimp emails and file-drop touches (badge scans, ...), each with its channel, campaign and
-- the source record identity resolution maps to a person (identity_source_system,
-- identity_record_type, identity_record_id: the node `<system>|<type>|<id>` of the identity graph).
-- Email sends and opens are not touches (they stay in stg_mailchimp__email_activity).
with sessions as (
    select * from {{ ref('int_web__sessions') }}
),

form_fills as (
    select * from {{ ref('int_web__form_fills') }}
),

email_clicks as (
    select * from {{ ref('int_mailchimp__email_clicks') }}
),

file_drop_touches as (
    select * from {{ ref('int_file_drop__touches') }}
),

unioned as (
    select
        session_id as touchpoint_source_id,
        'web_session' as touch_type,
        started_at as touched_at,
        channel,
        channel_rule_priority,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        referrer_host,
        gclid,
        'web' as source_system,
        -- the landing page event's messageId
        session_id as source_record_id,
        'web' as identity_source_system,
        case when anonymous_id is not null then 'anonymous_id' else 'user_id' end as identity_record_type,
        coalesce(anonymous_id, user_id) as identity_record_id
    from sessions

    union all

    select
        event_id,
        'form_fill',
        occurred_at,
        channel,
        channel_rule_priority,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        referrer_host,
        gclid,
        source_system,
        source_record_id,
        -- the form fill itself is a person record (it carries the address typed); a shared device's
        -- anonymous id would stand for several persons
        'web',
        'form_fill',
        event_id
    from form_fills

    union all

    select
        email_activity_id,
        'email_click',
        occurred_at,
        channel,
        channel_rule_priority,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        source_system,
        -- `<campaign_id>|<email_id>|<timestamp>`
        source_record_id,
        'mailchimp',
        'member',
        member_id
    from email_clicks

    union all

    select
        file_drop_touch_id,
        'file_drop_touch',
        occurred_at,
        channel,
        channel_rule_priority,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        source_system,
        -- the tool's touch_id
        source_record_id,
        -- the touch itself is a person record of its tool: identity resolution links it to the
        -- person it names (the tool's person_id, the address typed, a web anonymous id)
        source_system,
        'touch',
        source_record_id
    from file_drop_touches
),

final as (
    select
        touchpoint_source_id,
        touch_type,
        touched_at,
        channel,
        channel_rule_priority,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        referrer_host,
        gclid,
        source_system,
        source_record_id,
        identity_source_system,
        identity_record_type,
        identity_record_id,
        'marketing' as team
    from unioned
)

select * from final
