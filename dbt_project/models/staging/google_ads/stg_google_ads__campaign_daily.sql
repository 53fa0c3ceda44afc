with source as (
    -- A restated day is loaded again: the latest load of each campaign and day wins.
    {{ latest_version(source('google_ads', 'campaign_daily'), key='campaign__id, segments__date', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        {{ dbt.concat(['cast(campaign__id as ' ~ dbt.type_string() ~ ')', "'|'", 'segments__date']) }} as source_record_id,
        'google_ads' as source_system,
        cast(campaign__id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer__id as {{ dbt.type_string() }}) as customer_id,

        -- strings
        campaign__name as campaign_name,
        upper(customer__currency_code) as currency,

        -- numerics: the API sends int64 fields as strings and cost in micros of the account currency
        cast(cast(metrics__cost_micros as {{ dbt.type_numeric() }}) / 1000000 as {{ dbt.type_numeric() }}) as spend,
        cast(metrics__impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(metrics__clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(metrics__conversions as {{ dbt.type_float() }}) as conversions,

        -- dates
        cast(segments__date as date) as spend_date,
        _dlt_load_id as load_id
    from source
)

select * from renamed
