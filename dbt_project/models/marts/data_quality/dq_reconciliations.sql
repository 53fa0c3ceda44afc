-- The cross-table reconciliations of the data-quality gate, one row per check and scope (a month,
-- an attribution model and level, a source table): the value two tables must agree on, their
-- difference and whether it is within the check's tolerance. A view, so the gate sees the tables
-- as they are when it runs; the heavy sums run in the database and the gate validates the result.
-- - attributed_revenue_equals_bookings: kpi_attribution's attributed revenue per month, level and
--   model = kpi_pipeline's bookings (half a cent of tolerance: a cent off fails);
-- - won_deals_counted_once: per model and level, attributed won deals = won opportunities, and
--   kpi_pipeline's deals won = won opportunities (each won opportunity counts once);
-- - channel_spend_equals_extracted_spend: per month, kpi_channel_performance's spend (each model)
--   = the spend the ad platforms and the file drop delivered, converted, minus quarantined rows;
-- - funnel_never_grows: cohort rows of kpi_funnel where a stage has more persons than the one before;
-- - records_reconcile: per source table, delivered records = modelled + quarantined.
{%- set cent = 0.005 %}

with attribution as (
    select month, conversion_level, model, sum(attributed_revenue) as attributed_revenue,
        sum(attributed_won_deals) as attributed_won_deals
    from {{ ref('kpi_attribution') }}
    group by month, conversion_level, model
),

pipeline as (
    select month, sum(bookings_amount) as bookings, sum(deals_won) as deals_won
    from {{ ref('kpi_pipeline') }}
    group by month
),

won_opportunities as (
    select count(*) as won from {{ ref('fct_opportunities') }}
    where is_won and not is_deleted and closed_at is not null
),

channel_spend as (
    select month, model, sum(spend) as spend from {{ ref('kpi_channel_performance') }} group by month, model
),

quarantined as (
    select distinct source_system, source_table, source_record_id from {{ ref('quarantined_records') }}
),

fx as (
    select * from {{ ref('int_fx__rates') }}
),

extracted_spend as (
    -- what the platforms delivered (int_ad_spend__daily), converted as fct_ad_spend converts it
    select
        cast({{ dbt.date_trunc('month', 'platform_spend.spend_date') }} as date) as month,
        sum(platform_spend.spend / spend_fx.units_per_usd * reporting_fx.units_per_usd) as spend
    from {{ ref('int_ad_spend__daily') }} as platform_spend
    left join quarantined
        on quarantined.source_table = 'ad_spend'
        and quarantined.source_system = platform_spend.source_system
        and quarantined.source_record_id = platform_spend.source_record_id
    inner join fx as spend_fx
        on spend_fx.currency = platform_spend.currency
        and platform_spend.spend_date >= spend_fx.valid_from
        and platform_spend.spend_date < spend_fx.valid_to
    inner join fx as reporting_fx
        on reporting_fx.currency = '{{ var("reporting_currency") }}'
        and platform_spend.spend_date >= reporting_fx.valid_from
        and platform_spend.spend_date < reporting_fx.valid_to
    where quarantined.source_record_id is null
    group by 1
),

record_counts as (
    select 'opportunities' as source_table,
        (select count(*) from {{ ref('int_crm__opportunities') }}) as delivered,
        (select count(*) from {{ ref('fct_opportunities') }}) as modelled
    union all
    select 'ad_spend',
        (select count(*) from {{ ref('int_ad_spend__daily') }}),
        (select count(*) from {{ ref('fct_ad_spend') }})
),

checks as (
    select
        'attributed_revenue_equals_bookings' as check_name,
        {{ dbt.concat(["cast(attribution.month as " ~ dbt.type_string() ~ ")", "' '", 'attribution.conversion_level', "' '", 'attribution.model']) }}
            as check_scope,
        coalesce(pipeline.bookings, 0) as expected_value,
        attribution.attributed_revenue as actual_value,
        {{ cent }} as tolerance
    from attribution
    left join pipeline on pipeline.month = attribution.month
    union all
    select
        'won_deals_counted_once',
        {{ dbt.concat(['attribution.conversion_level', "' '", 'attribution.model']) }},
        won_opportunities.won,
        sum(attribution.attributed_won_deals),
        0.000001
    from attribution
    cross join won_opportunities
    group by attribution.conversion_level, attribution.model, won_opportunities.won
    union all
    select 'won_deals_counted_once', 'kpi_pipeline', won_opportunities.won, sum(pipeline.deals_won), 0
    from pipeline
    cross join won_opportunities
    group by won_opportunities.won
    union all
    select
        'channel_spend_equals_extracted_spend',
        {{ dbt.concat(["cast(extracted_spend.month as " ~ dbt.type_string() ~ ")", "' '", 'channel_spend.model']) }},
        extracted_spend.spend,
        coalesce(channel_spend.spend, 0),
        {{ cent }}
    from extracted_spend
    left join channel_spend on channel_spend.month = extracted_spend.month
    union all
    select 'funnel_never_grows', 'kpi_funnel cohort view', 0, count(*), 0
    from {{ ref('kpi_funnel') }}
    where funnel_view = 'cohort' and persons_reached > persons_reached_previous_stage
    union all
    select
        'records_reconcile',
        record_counts.source_table,
        record_counts.delivered,
        record_counts.modelled + (
            select count(distinct quarantined.source_record_id) from quarantined
            where quarantined.source_table = record_counts.source_table
        ),
        0
    from record_counts
),

final as (
    select
        cast(check_name as {{ dbt.type_string() }}) as check_name,
        cast(check_scope as {{ dbt.type_string() }}) as check_scope,
        cast(expected_value as double precision) as expected_value,
        cast(actual_value as double precision) as actual_value,
        cast(actual_value - expected_value as double precision) as difference,
        cast(tolerance as double precision) as tolerance,
        coalesce(abs(actual_value - expected_value) <= tolerance, false) as is_reconciled
    from checks
)

select * from final
