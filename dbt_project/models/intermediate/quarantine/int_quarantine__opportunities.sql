-- CRM opportunities that break a row-level rule, one row per opportunity and rule broken. They
-- stay out of fct_opportunities (and every KPI) and are kept, with the rule, in
-- quarantine.quarantined_records:
-- - missing_created_date: no creation date (the CRM's value was empty or could not be parsed);
-- - negative_amount: an amount below 0;
-- - unknown_currency: an amount in a currency the seed fx_rates has no rate for on the creation day;
-- - won_without_close_date: won, but no close date.
with opportunities as (
    select * from {{ ref('int_crm__opportunities') }}
),

fx as (
    select * from {{ ref('int_fx__rates') }}
),

checked as (
    select
        opportunities.source_system,
        opportunities.source_record_id,
        opportunities.created_at,
        opportunities.amount,
        opportunities.currency,
        opportunities.is_won,
        opportunities.closed_at,
        fx.currency as rate_currency
    from opportunities
    left join fx
        on fx.currency = opportunities.currency
        and cast(opportunities.created_at as date) >= fx.valid_from
        and cast(opportunities.created_at as date) < fx.valid_to
),

violations as (
    select source_system, source_record_id, 'missing_created_date' as rule,
        'the opportunity has no creation date' as reason,
        cast(null as {{ dbt.type_string() }}) as offending_value
    from checked
    where created_at is null
    union all
    select source_system, source_record_id, 'negative_amount',
        'the amount is below 0', cast(amount as {{ dbt.type_string() }})
    from checked
    where amount < 0
    union all
    select source_system, source_record_id, 'unknown_currency',
        'no exchange rate in seed fx_rates for the currency on the creation day',
        coalesce(cast(currency as {{ dbt.type_string() }}), '(none)')
    from checked
    where amount is not null and created_at is not null and rate_currency is null
    union all
    select source_system, source_record_id, 'won_without_close_date',
        'the opportunity is won but has no close date', cast(null as {{ dbt.type_string() }})
    from checked
    where is_won and closed_at is null
),

final as (
    {{ quarantine_rows('violations', 'opportunities') }}
)

select * from final
