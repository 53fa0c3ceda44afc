with source as (
    -- An activity re-read by a later run (reports are read again over a lookback) keeps one copy.
    {{ latest_version(source('mailchimp', 'email_activity'), key='campaign_id, email_id, action, timestamp', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['campaign_id', 'email_id', 'action', iso_utc_string(utc_timestamp('timestamp'))]) }} as email_activity_id,
        'mailchimp' as source_system,
        -- as the raw data spells a recipient event: `<campaign_id>|<email_id>|<timestamp>`
        {{ dbt.concat(['campaign_id', "'|'", 'email_id', "'|'", iso_utc_string(utc_timestamp('timestamp'))]) }} as source_record_id,
        campaign_id,
        list_id,
        email_id as member_id,
        {{ url_parameter('url', 'mc_eid') }} as mailchimp_unique_email_id,

        -- strings
        email_address as email,
        action,
        type as bounce_type,
        url,
        {{ normalized_utm(url_parameter('url', 'utm_source')) }} as utm_source,
        {{ normalized_utm(url_parameter('url', 'utm_medium')) }} as utm_medium,
        {{ normalized_utm(url_parameter('url', 'utm_campaign')) }} as utm_campaign,
        {{ url_parameter('url', 'utm_term') }} as utm_term,
        {{ url_parameter('url', 'utm_content') }} as utm_content,

        -- booleans
        action = 'click' as is_click,

        -- timestamps (UTC)
        {{ utc_timestamp('timestamp') }} as occurred_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
