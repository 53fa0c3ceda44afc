-- Daily ad-platform spend rows that break a row-level rule, one row per spend row and rule
-- broken. They stay out of fct_ad_spend (and every KPI) and are kept, with the rule, in
-- quarantine.quarantined_records (the file drop also quarantines bad rows on arrival):
-- - negative_spend: spend below 0;
-- - unknown_currency: a currency the seed fx_rates has no rate for on the day;
-- - orphan_campaign: a campaign id the platform's campaign list does not know.
with daily_spend as (
    select * from {{ ref('int_ad_spend__daily') }}
),

campaigns as (
    select distinct source_system, source_record_id from {{ ref('int_marketing__campaigns') }}
),

fx as (
    select * from {{ ref('int_fx__rates') }}
),

checked as (
    select
        daily_spend.source_system,
        daily_spend.source_record_id,
        daily_spend.platform_campaign_id,
        daily_spend.spend,
        daily_spend.currency,
        fx.currency as rate_currency,
        campaigns.source_record_id as known_campaign_id
    from daily_spend
    left join fx
        on fx.currency = daily_spend.currency
        and daily_spend.spend_date >= fx.valid_from
        and daily_spend.spend_date < fx.valid_to
    left join campaigns
        on campaigns.source_system = daily_spend.source_system
        and campaigns.source_record_id = daily_spend.platform_campaign_id
),

violations as (
    select source_system, source_record_id, 'negative_spend' as rule, 'the spend is below 0' as reason,
        cast(spend as {{ dbt.type_string() }}) as offending_value
    from checked
    where spend < 0
    union all
    select source_system, source_record_id, 'unknown_currency',
        'no exchange rate in seed fx_rates for the currency on the day',
        coalesce(cast(currency as {{ dbt.type_string() }}), '(none)')
    from checked
    where rate_currency is null
    union all
    select source_system, source_record_id, 'orphan_campaign',
        'the platform reports spend for a campaign its campaign list does not have',
        cast(platform_campaign_id as {{ dbt.type_string() }})
    from checked
    where known_campaign_id is null
),

final as (
    {{ quarantine_rows('violations', 'ad_spend') }}
)

select * from final
