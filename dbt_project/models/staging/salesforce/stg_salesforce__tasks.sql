with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'task'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as task_id,
        'salesforce' as source_system,
        id as source_record_id,
        who_id,
        what_id,
        owner_id,

        -- strings
        subject,
        task_subtype,
        type as task_type,
        status as task_status,
        priority,
        call_type,

        -- numerics
        cast(call_duration_in_seconds as integer) as call_duration_seconds,

        -- booleans
        coalesce(is_closed, false) as is_closed,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC); a logged call or email is dated when it was logged
        cast(activity_date as date) as activity_date,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
