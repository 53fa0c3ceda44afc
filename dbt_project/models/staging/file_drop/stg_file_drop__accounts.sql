{%- set columns = ['account_id', 'name', 'domain', 'industry', 'employees', 'country', 'created_at', 'source_system',
                   '_extra', '_source_file', '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once an accounts file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['accounts'], columns) ~ ') as delivered',
                      key='source_system, account_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'account_id']) }} as file_drop_account_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(account_id as {{ dbt.type_string() }}) as source_record_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,

        -- strings
        cast(name as {{ dbt.type_string() }}) as account_name,
        lower(cast(domain as {{ dbt.type_string() }})) as domain,
        cast(industry as {{ dbt.type_string() }}) as industry,
        upper(cast(country as {{ dbt.type_string() }})) as country,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(employees as {{ dbt.type_bigint() }}) as employees,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
