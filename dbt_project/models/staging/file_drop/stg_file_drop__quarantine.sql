{%- set columns = ['entity', 'source_file', 'source_row', 'rule', 'columns', 'reason', 'record', 'source_system',
                   'processed_at'] -%}

with source as (
    -- One row per bad row and rule; a file processed again replaces its rows (latest processing wins).
    {{ latest_version('(' ~ union_existing('file_drop', ['quarantine'], columns) ~ ') as delivered',
                      key='source_file, source_row, rule', order_by='processed_at desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_file', 'source_row', 'rule']) }} as quarantine_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        -- the bad row as the drop names it: `<source_file>:<source_row>`
        {{ dbt.concat(['cast(source_file as ' ~ dbt.type_string() ~ ')', "':'", 'cast(source_row as ' ~ dbt.type_string() ~ ')']) }} as source_record_id,

        -- strings
        cast(entity as {{ dbt.type_string() }}) as entity,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(rule as {{ dbt.type_string() }}) as rule,
        cast(columns as {{ dbt.type_string() }}) as failing_columns,
        cast(reason as {{ dbt.type_string() }}) as reason,
        -- the whole original row as JSON text, unknown columns included
        cast(record as {{ dbt.type_string() }}) as record,

        -- numerics
        cast(source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('processed_at') }} as processed_at
    from source
)

select * from renamed
