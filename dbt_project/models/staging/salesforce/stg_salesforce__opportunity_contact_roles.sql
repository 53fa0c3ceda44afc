with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'opportunity_contact_role'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as opportunity_contact_role_id,
        'salesforce' as source_system,
        id as source_record_id,
        opportunity_id,
        contact_id,

        -- strings
        role as contact_role,

        -- booleans
        coalesce(is_primary, false) as is_primary,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
