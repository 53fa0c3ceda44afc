with source as (
    -- A campaign re-read on a later run keeps its latest version.
    {{ latest_version(source('meta_ads', 'campaigns'), key='id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        'meta_ads' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,

        -- strings
        name as campaign_name,
        objective,
        status,

        -- booleans
        coalesce(status = 'DELETED', false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('start_time') }} as starts_at,
        {{ utc_timestamp('stop_time') }} as stops_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
