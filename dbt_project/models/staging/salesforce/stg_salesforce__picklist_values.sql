with source as (
    -- A value extracted more than once keeps its latest load.
    {{ latest_version(source('salesforce', 'picklist_values'), key='sobject, field, value', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids (a picklist value is identified by its object, field and API value)
        'salesforce' as source_system,
        {{ dbt.concat(['sobject', "'.'", 'field', "'.'", 'value']) }} as source_record_id,

        -- strings
        sobject as sobject_name,
        field as field_name,
        value as picklist_value,
        label as picklist_label,

        -- numerics
        cast(sort_order as integer) as sort_order,

        -- booleans
        coalesce(is_active, false) as is_active,

        -- load metadata
        _dlt_load_id as load_id
    from source
)

select * from renamed
