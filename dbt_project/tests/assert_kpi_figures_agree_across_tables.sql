{{ config(meta={"dagster": {"ref": {"name": "kpi_scorecard"}}}) }}
-- A figure several KPI tables show has one value: for every month, the scorecard's MQLs, SQLs,
-- pipeline and bookings equal kpi_lead_quality's, kpi_funnel's and kpi_pipeline's; under every
-- attribution model kpi_channel_performance's MQLs, attributed pipeline and revenue add up to the
-- same, and its spend to fct_ad_spend's. Fails with each month, figure and pair of values that
-- differ by more than 0.01.
with scorecard as (
    select month, kpi_name, actual_value from {{ ref('kpi_scorecard') }} where segment = 'all'
),

pipeline as (
    select month, sum(pipeline_created_amount) as pipeline, sum(bookings_amount) as bookings
    from {{ ref('kpi_pipeline') }}
    group by month
),

lead_quality as (
    select month, sum(mqls) as mqls from {{ ref('kpi_lead_quality') }} group by month
),

funnel_sqls as (
    select month, sum(persons_reached) as sqls
    from {{ ref('kpi_funnel') }}
    where funnel_view = 'period' and stage = 'sql'
    group by month
),

channels as (
    select month, model, sum(mqls) as mqls, sum(attributed_pipeline) as pipeline,
        sum(attributed_revenue) as bookings, sum(spend) as spend
    from {{ ref('kpi_channel_performance') }}
    group by month, model
),

ad_spend as (
    select cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month, sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by 1
),

comparisons as (
    select scorecard.month, 'mqls: scorecard vs kpi_lead_quality' as figure,
        scorecard.actual_value as left_value, lead_quality.mqls as right_value
    from scorecard inner join lead_quality on lead_quality.month = scorecard.month
    where scorecard.kpi_name = 'mqls'
    union all
    select scorecard.month, 'sqls: scorecard vs kpi_funnel', scorecard.actual_value, funnel_sqls.sqls
    from scorecard inner join funnel_sqls on funnel_sqls.month = scorecard.month
    where scorecard.kpi_name = 'sqls'
    union all
    select scorecard.month, 'pipeline: scorecard vs kpi_pipeline', scorecard.actual_value, pipeline.pipeline
    from scorecard inner join pipeline on pipeline.month = scorecard.month
    where scorecard.kpi_name = 'pipeline_created'
    union all
    select scorecard.month, 'bookings: scorecard vs kpi_pipeline', scorecard.actual_value, pipeline.bookings
    from scorecard inner join pipeline on pipeline.month = scorecard.month
    where scorecard.kpi_name = 'bookings'
    union all
    select channels.month, 'mqls: kpi_channel_performance (' || channels.model || ') vs kpi_lead_quality',
        channels.mqls, coalesce(lead_quality.mqls, 0)
    from channels left join lead_quality on lead_quality.month = channels.month
    union all
    select channels.month, 'attributed pipeline: kpi_channel_performance (' || channels.model || ') vs kpi_pipeline',
        channels.pipeline, coalesce(pipeline.pipeline, 0)
    from channels left join pipeline on pipeline.month = channels.month
    union all
    select channels.month, 'attributed revenue: kpi_channel_performance (' || channels.model || ') vs kpi_pipeline bookings',
        channels.bookings, coalesce(pipeline.bookings, 0)
    from channels left join pipeline on pipeline.month = channels.month
    union all
    select ad_spend.month, 'spend: kpi_channel_performance (' || channels.model || ') vs fct_ad_spend',
        coalesce(channels.spend, 0), ad_spend.spend
    from ad_spend left join channels on channels.month = ad_spend.month
)

select *
from comparisons
where abs(coalesce(left_value, 0) - coalesce(right_value, 0)) > 0.01
