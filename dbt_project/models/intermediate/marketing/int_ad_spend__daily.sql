-- One row per day, platform and campaign with spend, impressions and clicks as each platform
-- reports them, in the currency it reports (Google Ads and Meta in the ad account's currency,
-- LinkedIn in the campaign's budget currency, the file drop in the row's currency). The file
-- drop's weekly spend stays on the Monday it is dated.
with google as (
    select * from {{ ref('stg_google_ads__campaign_daily') }}
),

meta as (
    select * from {{ ref('stg_meta_ads__insights_daily') }}
),

linkedin as (
    select * from {{ ref('stg_linkedin_ads__ad_analytics_daily') }}
),

linkedin_campaigns as (
    select campaign_id, campaign_name, currency from {{ ref('stg_linkedin_ads__campaigns') }}
),

file_drop as (
    select * from {{ ref('stg_file_drop__ad_spend') }}
),

unioned as (
    select
        spend_date, 'google_ads' as platform, source_system, source_record_id, campaign_id as platform_campaign_id,
        campaign_name, cast(null as {{ dbt.type_string() }}) as channel, spend, currency, impressions, clicks,
        cast(conversions as {{ dbt.type_numeric() }}) as conversions
    from google
    union all
    select
        spend_date, 'meta_ads', source_system, source_record_id, campaign_id,
        campaign_name, cast(null as {{ dbt.type_string() }}), spend, currency, impressions, clicks,
        cast(null as {{ dbt.type_numeric() }})
    from meta
    union all
    select
        linkedin.spend_date, 'linkedin_ads', linkedin.source_system, linkedin.source_record_id, linkedin.campaign_id,
        linkedin_campaigns.campaign_name, cast(null as {{ dbt.type_string() }}),
        -- local currency is the campaign's budget currency; without one, the USD figure LinkedIn also gives
        case when linkedin_campaigns.currency is not null then linkedin.spend_local_currency
             else linkedin.spend_usd end,
        coalesce(linkedin_campaigns.currency, 'USD'),
        linkedin.impressions, linkedin.clicks,
        cast(linkedin.one_click_leads as {{ dbt.type_numeric() }})
    from linkedin
    left join linkedin_campaigns on linkedin_campaigns.campaign_id = linkedin.campaign_id
    union all
    select
        spend_date, platform, source_system, source_record_id, campaign_id,
        campaign_name, lower(channel), spend, currency, impressions, clicks,
        cast(null as {{ dbt.type_numeric() }})
    from file_drop
),

final as (
    select
        {{ surrogate_key(['source_system', 'platform', 'platform_campaign_id', 'spend_date']) }} as ad_spend_id,
        spend_date,
        platform,
        source_system,
        source_record_id,
        platform_campaign_id,
        campaign_name,
        channel,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        currency,
        impressions,
        clicks,
        conversions
    from unioned
)

select * from final
