with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'lead_history'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as lead_history_id,
        'salesforce' as source_system,
        id as source_record_id,
        lead_id,

        -- strings (field is the API name, or 'created' / 'leadConverted' for those events)
        field as field_name,
        data_type,
        old_value,
        new_value,

        -- booleans (the lead's deletion deletes its history with it)
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_date') }} as changed_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
