-- Spend rows that break a row-level rule are left out; they are in quarantine.quarantined_records.
with quarantined as (
    select distinct source_system, source_record_id from {{ ref('int_quarantine__ad_spend') }}
),

daily_spend as (
    select platform_spend.*
    from {{ ref('int_ad_spend__daily') }} as platform_spend
    left join quarantined
        on quarantined.source_system = platform_spend.source_system
        and quarantined.source_record_id = platform_spend.source_record_id
    where quarantined.source_record_id is null
),

campaign_records as (
    select campaign_id, source_system, source_record_id, channel
    from {{ ref('int_marketing__campaigns') }}
),

fx as (
    select * from {{ ref('int_fx__rates') }}
),

reporting_fx as (
    select valid_from, valid_to, units_per_usd
    from fx where currency = '{{ var("reporting_currency") }}'
),

final as (
    select
        daily_spend.ad_spend_id,
        daily_spend.spend_date,
        daily_spend.platform,
        campaign_records.campaign_id,
        daily_spend.platform_campaign_id,
        daily_spend.campaign_name,
        coalesce(daily_spend.channel, campaign_records.channel) as channel,
        cast(daily_spend.spend as {{ dbt.type_numeric() }}) as spend,
        daily_spend.currency,
        -- converted at the rate in force on the day of the spend
        cast(daily_spend.spend / spend_fx.units_per_usd * reporting_fx.units_per_usd as {{ dbt.type_numeric() }})
            as spend_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(daily_spend.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(daily_spend.clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(daily_spend.conversions as {{ dbt.type_numeric() }}) as platform_conversions,
        daily_spend.source_system,
        daily_spend.source_record_id
    from daily_spend
    left join campaign_records
        on campaign_records.source_system = daily_spend.source_system
        and campaign_records.source_record_id = daily_spend.platform_campaign_id
    left join fx as spend_fx
        on spend_fx.currency = daily_spend.currency
        and daily_spend.spend_date >= spend_fx.valid_from
        and daily_spend.spend_date < spend_fx.valid_to
    left join reporting_fx
        on daily_spend.spend_date >= reporting_fx.valid_from
        and daily_spend.spend_date < reporting_fx.valid_to
)

select * from final
