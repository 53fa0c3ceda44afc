with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'opportunity_history'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as opportunity_history_id,
        'salesforce' as source_system,
        id as source_record_id,
        opportunity_id,

        -- strings
        stage_name,

        -- numerics
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(expected_revenue as {{ dbt.type_numeric() }}) as expected_revenue,
        cast(probability as double precision) as probability,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(close_date as date) as close_date,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
