with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'campaign'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as campaign_id,
        'salesforce' as source_system,
        id as source_record_id,
        owner_id,

        -- strings
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        utm_source__c as utm_source,
        utm_medium__c as utm_medium,
        utm_campaign__c as utm_campaign,

        -- booleans
        coalesce(is_active, false) as is_active,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
