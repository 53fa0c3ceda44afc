{%- set columns = ['person_id', 'email', 'first_name', 'last_name', 'job_title', 'account_id', 'created_at',
                   'source_system', '_extra', '_source_file', '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once a persons file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['persons'], columns) ~ ') as delivered',
                      key='source_system, person_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'person_id']) }} as file_drop_person_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(person_id as {{ dbt.type_string() }}) as source_record_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,

        -- strings
        -- the address as typed (not normalized: identity resolution works on the raw address)
        cast(email as {{ dbt.type_string() }}) as email,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(job_title as {{ dbt.type_string() }}) as job_title,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
