{%- set columns = ['campaign_id', 'name', 'channel', 'platform', 'utm_campaign', 'starts_on', 'ends_on',
                   'source_system', '_extra', '_source_file', '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once a campaigns file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['campaigns'], columns) ~ ') as delivered',
                      key='source_system, campaign_id', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'campaign_id']) }} as file_drop_campaign_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(campaign_id as {{ dbt.type_string() }}) as source_record_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        cast(name as {{ dbt.type_string() }}) as campaign_name,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(platform as {{ dbt.type_string() }}) as platform,
        {{ normalized_utm('utm_campaign') }} as utm_campaign,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- dates and timestamps (UTC)
        cast(starts_on as date) as starts_on,
        cast(ends_on as date) as ends_on,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
