{%- set columns = ['source_file', 'entity', 'file_format', 'file_size', 'file_modified_at', 'rows_read', 'rows_loaded',
                   'rows_quarantined', 'status', 'reason', 'unknown_columns', 'processed_at'] -%}

with source as (
    -- One row per file, for its latest processing.
    {{ latest_version('(' ~ union_existing('file_drop', ['file_log'], columns) ~ ') as delivered',
                      key='source_file', order_by='processed_at desc') }}
),

renamed as (
    select
        -- ids
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        'file_drop' as source_system,
        cast(source_file as {{ dbt.type_string() }}) as source_record_id,

        -- strings
        cast(entity as {{ dbt.type_string() }}) as entity,
        cast(file_format as {{ dbt.type_string() }}) as file_format,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(unknown_columns as {{ dbt.type_string() }}) as unknown_columns,

        -- numerics
        cast(file_size as {{ dbt.type_bigint() }}) as file_size,
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as rows_quarantined,

        -- booleans
        status = 'rejected' as is_rejected,

        -- timestamps (UTC)
        {{ utc_timestamp('file_modified_at') }} as file_modified_at,
        {{ utc_timestamp('processed_at') }} as processed_at
    from source
)

select * from renamed
