-- Channel performance by calendar month (UTC), channel and attribution model (account-level
-- conversions, the buying committee): spend, impressions and clicks from the ad platforms and the
-- file drop, leads and MQLs by the person's source channel, attributed pipeline and revenue, and
-- the efficiency ratios, all money in the reporting currency. Spend, leads and MQLs are the same
-- on every model's row: pick one model before summing.
with spend as (
    select
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month,
        channel,
        sum(spend_reporting) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('fct_ad_spend') }}
    group by 1, 2
),

leads as (
    -- persons who first reached the lead stage (or beyond) in the month (kpi_funnel, period view)
    select month, source_channel as channel, sum(persons_reached) as leads
    from {{ ref('kpi_funnel') }}
    where funnel_view = 'period'
        and stage = 'lead'
    group by month, source_channel
),

mqls as (
    select month, source_channel as channel, sum(mqls) as mqls
    from {{ ref('kpi_lead_quality') }}
    group by month, source_channel
),

opportunity_types as (
    select opportunity_id, opportunity_type from {{ ref('fct_opportunities') }}
),

attributed as (
    select
        cast({{ dbt.date_trunc('month', 'credits.converted_at') }} as date) as month,
        credits.channel,
        credits.model,
        sum(case when credits.conversion_type = 'opportunity_created' then credits.credit else 0 end)
            as attributed_opportunities_created,
        sum(case when credits.conversion_type = 'opportunity_created' then credits.revenue_credit else 0 end)
            as attributed_pipeline,
        sum(case when credits.conversion_type = 'opportunity_won' then credits.credit else 0 end)
            as attributed_won_deals,
        sum(case when credits.conversion_type = 'opportunity_won' then credits.revenue_credit else 0 end)
            as attributed_revenue,
        sum(case when credits.conversion_type = 'opportunity_won' and opportunity_types.opportunity_type = 'newbusiness'
                 then credits.credit else 0 end) as attributed_new_customers
    from {{ ref('fct_attribution_credits') }} as credits
    inner join opportunity_types on opportunity_types.opportunity_id = credits.opportunity_id
    where credits.conversion_level = 'account'
    group by 1, 2, 3
),

attribution_models as (
    select distinct model from attributed
),

keys as (
    select month, channel from spend
    union
    select month, channel from leads
    union
    select month, channel from mqls
    union
    select month, channel from attributed
),

grid as (
    select keys.month, keys.channel, attribution_models.model
    from keys
    cross join attribution_models
),

final as (
    select
        cast(grid.month as date) as month,
        cast(grid.channel as {{ dbt.type_string() }}) as channel,
        cast(grid.model as {{ dbt.type_string() }}) as model,
        cast(coalesce(spend.spend, 0) as {{ dbt.type_numeric() }}) as spend,
        cast(coalesce(spend.impressions, 0) as bigint) as impressions,
        cast(coalesce(spend.clicks, 0) as bigint) as clicks,
        cast(coalesce(leads.leads, 0) as bigint) as leads,
        cast(coalesce(mqls.mqls, 0) as bigint) as mqls,
        cast(coalesce(attributed.attributed_opportunities_created, 0) as numeric(28, 12)) as attributed_opportunities_created,
        cast(coalesce(attributed.attributed_pipeline, 0) as {{ dbt.type_numeric() }}) as attributed_pipeline,
        cast(coalesce(attributed.attributed_won_deals, 0) as numeric(28, 12)) as attributed_won_deals,
        cast(coalesce(attributed.attributed_revenue, 0) as {{ dbt.type_numeric() }}) as attributed_revenue,
        cast(coalesce(attributed.attributed_new_customers, 0) as numeric(28, 12)) as attributed_new_customers,
        cast({{ safe_divide('spend.spend', 'leads.leads') }} as double precision) as cost_per_lead,
        cast({{ safe_divide('spend.spend', 'mqls.mqls') }} as double precision) as cost_per_mql,
        cast({{ safe_divide('spend.spend', 'attributed.attributed_new_customers') }} as double precision)
            as customer_acquisition_cost,
        cast({{ safe_divide('attributed.attributed_revenue', 'spend.spend') }} as double precision)
            as return_on_ad_spend,
        cast({{ safe_divide('coalesce(attributed.attributed_revenue, 0) - spend.spend', 'spend.spend') }}
            as double precision) as return_on_investment,
        '{{ var("reporting_currency") }}' as reporting_currency
    from grid
    left join spend on spend.month = grid.month and spend.channel = grid.channel
    left join leads on leads.month = grid.month and leads.channel = grid.channel
    left join mqls on mqls.month = grid.month and mqls.channel = grid.channel
    left join attributed
        on attributed.month = grid.month
        and attributed.channel = grid.channel
        and attributed.model = grid.model
)

select * from final
