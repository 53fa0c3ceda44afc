with source as (
    -- A change extracted more than once (every deal read brings its whole history) is kept once.
    {{ latest_version(source('hubspot', 'deal_property_history'),
                      key='deal_id, property, value, timestamp', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids (a history row has no id of its own: it belongs to its deal)
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        'hubspot' as source_system,
        cast(deal_id as {{ dbt.type_string() }}) as source_record_id,

        -- strings
        property as property_name,
        value as property_value,
        source_type as change_source,

        -- timestamps (UTC)
        {{ utc_timestamp('timestamp') }} as changed_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
