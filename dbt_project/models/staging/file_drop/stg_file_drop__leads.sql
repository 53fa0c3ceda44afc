{%- set columns = ['lead_id', 'person_id', 'created_at', 'status', 'source_channel', 'disposition', 'rejection_reason',
                   'disposition_at', 'first_touch_at', 'source_system', '_extra', '_source_file', '_source_row',
                   '_source_modified_at'] -%}

with source as (
    -- The table exists once a leads file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['leads'], columns) ~ ') as delivered',
                      key='source_system, lead_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'lead_id']) }} as file_drop_lead_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,

        -- strings
        cast(status as {{ dbt.type_string() }}) as status,
        cast(source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(disposition as {{ dbt.type_string() }}) as disposition,
        cast(rejection_reason as {{ dbt.type_string() }}) as rejection_reason,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('disposition_at') }} as disposition_at,
        {{ utc_timestamp('first_touch_at') }} as first_touch_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
