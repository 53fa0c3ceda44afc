-- Attributed opportunities, pipeline, won deals and revenue per calendar month (UTC) of the
-- conversion, conversion level, attribution model, channel and campaign, in the reporting currency. Each model's
-- credits of a conversion sum to 1, so summed over channels and campaigns a month's figures of
-- every model equal the opportunities created, pipeline created, deals won and bookings of the
-- month; conversions without touches count under channel `no_touch`. Rows only where a touch
-- earned some credit.
with credits as (
    select * from {{ ref('fct_attribution_credits') }}
    where credit <> 0
),

aggregated as (
    select
        {{ dbt.date_trunc('month', 'converted_at') }} as month,
        conversion_level,
        model,
        channel,
        campaign_id,
        sum(case when conversion_type = 'opportunity_created' then credit else 0 end)
            as attributed_opportunities_created,
        sum(case when conversion_type = 'opportunity_created' then revenue_credit else 0 end)
            as attributed_pipeline,
        sum(case when conversion_type = 'opportunity_won' then credit else 0 end) as attributed_won_deals,
        sum(case when conversion_type = 'opportunity_won' then revenue_credit else 0 end) as attributed_revenue
    from credits
    group by {{ dbt.date_trunc('month', 'converted_at') }}, conversion_level, model, channel, campaign_id
),

final as (
    select
        cast(month as date) as month,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(attributed_opportunities_created as numeric(28, 12)) as attributed_opportunities_created,
        cast(attributed_pipeline as {{ dbt.type_numeric() }}) as attributed_pipeline,
        cast(attributed_won_deals as numeric(28, 12)) as attributed_won_deals,
        cast(attributed_revenue as {{ dbt.type_numeric() }}) as attributed_revenue,
        '{{ var("reporting_currency") }}' as reporting_currency
    from aggregated
)

select * from final
