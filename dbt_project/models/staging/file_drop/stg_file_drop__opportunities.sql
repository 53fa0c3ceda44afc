{%- set columns = ['opportunity_id', 'account_id', 'name', 'type', 'stage', 'created_at', 'closed_at', 'is_won',
                   'amount', 'currency', 'lost_reason', 'source_system', '_extra', '_source_file', '_source_row',
                   '_source_modified_at'] -%}

with source as (
    -- The table exists once an opportunities file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['opportunities'], columns) ~ ') as delivered',
                      key='source_system, opportunity_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'opportunity_id']) }} as file_drop_opportunity_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(opportunity_id as {{ dbt.type_string() }}) as source_record_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,

        -- strings
        cast(name as {{ dbt.type_string() }}) as opportunity_name,
        cast(type as {{ dbt.type_string() }}) as opportunity_type,
        cast(stage as {{ dbt.type_string() }}) as stage,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(lost_reason as {{ dbt.type_string() }}) as lost_reason,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- booleans
        cast(is_won as {{ dbt.type_boolean() }}) as is_won,
        closed_at is not null as is_closed,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('closed_at') }} as closed_at,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
