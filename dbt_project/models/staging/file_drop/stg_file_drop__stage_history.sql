{%- set columns = ['record_type', 'record_id', 'stage', 'entered_at', 'source_system', '_extra', '_source_file',
                   '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once a stage_history file arrived; the same entry in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['stage_history'], columns) ~ ') as delivered',
                      key='source_system, record_type, record_id, stage, entered_at',
                      order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'record_type', 'record_id', 'stage', 'entered_at']) }} as stage_history_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        -- the person or opportunity whose stage this is, as the file spells its id
        cast(record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(record_id as {{ dbt.type_string() }}) as record_id,

        -- strings
        cast(record_type as {{ dbt.type_string() }}) as record_type,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('entered_at') }} as entered_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
