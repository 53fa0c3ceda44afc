with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'user'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as user_id,
        'salesforce' as source_system,
        id as source_record_id,

        -- strings
        username,
        email,
        first_name,
        last_name,
        name as full_name,
        title,
        department,
        user_type,

        -- booleans
        coalesce(is_active, false) as is_active,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
