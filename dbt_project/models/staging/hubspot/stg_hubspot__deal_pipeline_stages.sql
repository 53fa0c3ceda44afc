with source as (
    -- A stage extracted more than once keeps its latest load.
    {{ latest_version(source('hubspot', 'deal_pipeline_stages'), key='pipeline_id, id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as stage_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(pipeline_id as {{ dbt.type_string() }}) as pipeline_id,

        -- strings
        label as stage_label,
        pipeline_label,

        -- numerics
        cast(display_order as integer) as display_order,
        cast(metadata__probability as double precision) as probability,

        -- booleans
        coalesce(metadata__is_closed = 'true', false) as is_closed,

        -- load metadata
        _dlt_load_id as load_id
    from source
)

select * from renamed
