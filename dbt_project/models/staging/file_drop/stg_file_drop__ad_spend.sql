{%- set columns = ['date', 'platform', 'campaign_id', 'campaign_name', 'channel', 'spend', 'currency', 'impressions',
                   'clicks', 'source_system', '_extra', '_source_file', '_source_row', '_source_modified_at'] -%}

with source as (
    -- The table exists once a spend file arrived; the same key in two files: the later file wins.
    {{ latest_version('(' ~ union_existing('file_drop', ['ad_spend'], columns) ~ ') as delivered',
                      key='source_system, platform, campaign_id, date', order_by='_source_modified_at desc, _source_file desc') }}
),

renamed as (
    select
        -- ids
        {{ surrogate_key(['source_system', 'platform', 'campaign_id', 'date']) }} as file_drop_ad_spend_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        -- the row's key as the file spells it: `<campaign_id>|<date>`
        {{ dbt.concat(['cast(campaign_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(cast(date as date) as ' ~ dbt.type_string() ~ ')']) }} as source_record_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(channel as {{ dbt.type_string() }}) as channel,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(_extra as {{ dbt.type_string() }}) as extra_columns,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,

        -- numerics
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,

        -- dates and timestamps (UTC)
        cast(date as date) as spend_date,
        {{ utc_timestamp('_source_modified_at') }} as source_modified_at
    from source
)

select * from renamed
