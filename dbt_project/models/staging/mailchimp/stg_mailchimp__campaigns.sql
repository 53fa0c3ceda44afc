with source as (
    -- A campaign re-read on a later run (its report counts change) keeps its latest version.
    {{ latest_version(source('mailchimp', 'campaigns'), key='id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as campaign_id,
        'mailchimp' as source_system,
        id as source_record_id,
        recipients__list_id as list_id,
        cast(web_id as {{ dbt.type_string() }}) as web_id,

        -- strings
        settings__title as campaign_name,
        settings__subject_line as subject_line,
        type as campaign_type,
        status,
        -- the utm_campaign Mailchimp appends to the campaign's links (Google Analytics tracking)
        {{ normalized_utm('tracking__google_analytics') }} as utm_campaign,

        -- numerics
        cast(emails_sent as {{ dbt.type_bigint() }}) as emails_sent,

        -- booleans
        type = 'automation' as is_automation,

        -- timestamps (UTC)
        {{ utc_timestamp('create_time') }} as created_at,
        {{ utc_timestamp("nullif(cast(send_time as " ~ dbt.type_string() ~ "), '')") }} as sent_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
