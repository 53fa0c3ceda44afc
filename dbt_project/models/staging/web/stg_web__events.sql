with source as (
    -- A message re-sent by the collector keeps its latest received copy.
    {{ latest_version(source('web', 'events'), key='message_id', order_by='received_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        message_id as event_id,
        'web' as source_system,
        message_id as source_record_id,
        anonymous_id,
        user_id,

        -- strings
        type as event_type,
        event as event_name,
        properties__form_id as form_id,
        properties__form_type as form_type,
        -- the address as typed (identify traits, or the form's own field on a track call)
        coalesce(traits__email, properties__email) as email,
        properties__url as page_url,
        coalesce(properties__path, context__page__path) as page_path,
        coalesce(properties__referrer, context__page__referrer) as referrer,
        lower(context__campaign__source) as utm_source,
        lower(context__campaign__medium) as utm_medium,
        lower(context__campaign__name) as utm_campaign,
        context__campaign__term as utm_term,
        context__campaign__content as utm_content,
        -- click ids the landing URL carries: they tie a visit to an ad click or an email recipient
        {{ url_parameter('properties__url', 'gclid') }} as gclid,
        {{ url_parameter('properties__url', 'fbclid') }} as fbclid,
        {{ url_parameter('properties__url', 'li_fat_id') }} as li_fat_id,
        {{ url_parameter('properties__url', 'mc_cid') }} as mailchimp_campaign_id,
        {{ url_parameter('properties__url', 'mc_eid') }} as mailchimp_unique_email_id,

        -- timestamps (UTC)
        {{ utc_timestamp('timestamp') }} as occurred_at,
        {{ utc_timestamp('sent_at') }} as sent_at,
        {{ utc_timestamp('received_at') }} as received_at,
        _source_file as source_file
    from source
)

select * from renamed
