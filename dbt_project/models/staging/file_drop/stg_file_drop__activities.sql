{%- set columns = ['activity_id', 'type', 'occurred_at', 'person_id', 'opportunity_id', 'owner', 'source_system',
                   '_extra', '_source_file', '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once an activities file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['activities'], columns) ~ ') as delivered',
                      key='source_system, activity_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'activity_id']) }} as file_drop_activity_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(activity_id as {{ dbt.type_string() }}) as source_record_id,
        cast(activity_id as {{ dbt.type_string() }}) as activity_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        -- strings
        cast(type as {{ dbt.type_string() }}) as activity_type,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('occurred_at') }} as occurred_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
