{%- set columns = ['touch_id', 'person_id', 'anonymous_id', 'email', 'occurred_at', 'channel', 'campaign_id',
                   'utm_source', 'utm_medium', 'utm_campaign', 'url', 'source_system', '_extra', '_source_file',
                   '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once a touches file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['touches'], columns) ~ ') as delivered',
                      key='source_system, touch_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'touch_id']) }} as file_drop_touch_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(touch_id as {{ dbt.type_string() }}) as source_record_id,
        cast(touch_id as {{ dbt.type_string() }}) as touch_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(anonymous_id as {{ dbt.type_string() }}) as anonymous_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        -- the address as typed (not normalized: identity resolution works on the raw address)
        cast(email as {{ dbt.type_string() }}) as email,
        cast(channel as {{ dbt.type_string() }}) as channel,
        {{ normalized_utm('utm_source') }} as utm_source,
        {{ normalized_utm('utm_medium') }} as utm_medium,
        {{ normalized_utm('utm_campaign') }} as utm_campaign,
        cast(url as {{ dbt.type_string() }}) as url,
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
