with source as (
    -- A restated day is loaded again: the latest load of each campaign and day wins.
    {{ latest_version(source('linkedin_ads', 'ad_analytics_daily'), key='campaign_urn, date', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        {{ dbt.concat(['campaign_urn', "'|'", 'date']) }} as source_record_id,
        'linkedin_ads' as source_system,
        -- urn:li:sponsoredCampaign:<id>
        {{ dbt.split_part('campaign_urn', "':'", 4) }} as campaign_id,
        campaign_urn,

        -- numerics: costs arrive as text
        cast(cost_in_local_currency as {{ dbt.type_numeric() }}) as spend_local_currency,
        cast(cost_in_usd as {{ dbt.type_numeric() }}) as spend_usd,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(one_click_leads as {{ dbt.type_bigint() }}) as one_click_leads,

        -- dates
        cast(date as date) as spend_date,
        _dlt_load_id as load_id
    from source
)

select * from renamed
