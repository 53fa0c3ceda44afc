with source as (
    -- A restated day is loaded again: the latest load of each campaign and day wins.
    {{ latest_version(source('meta_ads', 'insights_daily'), key='campaign_id, date_start', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        {{ dbt.concat(['cast(campaign_id as ' ~ dbt.type_string() ~ ')', "'|'", 'date_start']) }} as source_record_id,
        'meta_ads' as source_system,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        campaign_name,
        upper(account_currency) as currency,

        -- numerics: the Insights API sends every metric as text
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,

        -- dates
        cast(date_start as date) as spend_date,
        _dlt_load_id as load_id
    from source
)

select * from renamed
