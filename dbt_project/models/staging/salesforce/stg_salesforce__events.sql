with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'event'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as event_id,
        'salesforce' as source_system,
        id as source_record_id,
        who_id,
        what_id,
        owner_id,

        -- strings
        subject,

        -- numerics
        cast(duration_in_minutes as integer) as duration_minutes,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(activity_date as date) as activity_date,
        {{ utc_timestamp('start_date_time') }} as started_at,
        {{ utc_timestamp('end_date_time') }} as ended_at,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
