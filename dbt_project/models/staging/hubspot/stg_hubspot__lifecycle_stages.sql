with source as (
    -- A stage extracted more than once keeps its latest load.
    {{ latest_version(source('hubspot', 'lifecycle_stages'), order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids (custom stages are numbered)
        cast(id as {{ dbt.type_string() }}) as lifecycle_stage_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,

        -- strings
        label as lifecycle_stage_label,

        -- numerics
        cast(display_order as integer) as display_order,

        -- load metadata
        _dlt_load_id as load_id
    from source
)

select * from renamed
