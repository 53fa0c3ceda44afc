with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'campaign_member'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as campaign_member_id,
        'salesforce' as source_system,
        id as source_record_id,
        campaign_id,
        lead_id,
        contact_id,

        -- strings
        status as member_status,

        -- booleans
        coalesce(has_responded, false) as has_responded,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(first_responded_date as date) as first_responded_on,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
