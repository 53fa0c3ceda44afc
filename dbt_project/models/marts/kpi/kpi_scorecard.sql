-- The shared scorecard: every KPI of seed kpi_catalog per calendar month (and per segment where
-- targets are set per segment), its actual beside the target both teams agreed on (seed
-- kpi_targets), and the attainment. Actuals come from the KPI marts, so the scorecard and the
-- detailed tables show the same numbers.
with catalog as (
    select * from {{ ref('kpi_catalog') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

pipeline_by_segment as (
    select * from {{ ref('kpi_pipeline') }}
),

pipeline_all as (
    select
        month,
        sum(pipeline_created_amount) as pipeline_created_amount,
        sum(marketing_sourced_pipeline) as marketing_sourced_pipeline,
        sum(bookings_amount) as bookings_amount,
        sum(deals_won) as deals_won,
        sum(deals_lost) as deals_lost
    from pipeline_by_segment
    group by month
),

lead_quality as (
    select month, sum(mqls) as mqls, sum(mqls_within_sla) as mqls_within_sla
    from {{ ref('kpi_lead_quality') }}
    group by month
),

speed_to_lead as (
    select
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as month,
        {{ percentile('hours_to_first_sales_touch', 0.5) }} as median_hours
    from {{ ref('fct_lead_dispositions') }}
    group by 1
),

sqls as (
    select month, sum(persons_reached) as sqls
    from {{ ref('kpi_funnel') }}
    where funnel_view = 'period'
        and stage = 'sql'
    group by month
),

revenue as (
    select account_id, month, arr from {{ ref('fct_account_revenue_monthly') }}
),

net_retention as (
    -- accounts that were customers twelve months before the month, their ARR then and now
    select
        revenue.month,
        sum(year_before.arr) as arr_year_before,
        sum(revenue.arr) as arr_now
    from revenue
    inner join revenue as year_before
        on year_before.account_id = revenue.account_id
        and year_before.month = {{ dbt.dateadd('month', -12, 'revenue.month') }}
        and year_before.arr > 0
    group by revenue.month
),

actuals as (
    select month, 'mqls' as kpi_name, 'all' as segment, cast(mqls as double precision) as actual_value from lead_quality
    union all
    select month, 'within_sla_rate', 'all', {{ safe_divide('mqls_within_sla', 'mqls') }} from lead_quality
    union all
    select month, 'speed_to_lead_median_hours', 'all', cast(median_hours as double precision) from speed_to_lead
    union all
    select month, 'sqls', 'all', cast(sqls as double precision) from sqls
    union all
    select month, 'pipeline_created', 'all', cast(pipeline_created_amount as double precision) from pipeline_all
    union all
    select month, 'pipeline_created', segment, cast(pipeline_created_amount as double precision) from pipeline_by_segment
    union all
    select month, 'marketing_sourced_pipeline', 'all', cast(marketing_sourced_pipeline as double precision) from pipeline_all
    union all
    select month, 'bookings', 'all', cast(bookings_amount as double precision) from pipeline_all
    union all
    select month, 'bookings', segment, cast(bookings_amount as double precision) from pipeline_by_segment
    union all
    select month, 'win_rate', 'all', {{ safe_divide('deals_won', 'deals_won + deals_lost') }} from pipeline_all
    union all
    select month, 'net_revenue_retention_12m', 'all', {{ safe_divide('arr_now', 'arr_year_before') }} from net_retention
),

final as (
    select
        cast(actuals.month as date) as month,
        cast(actuals.kpi_name as {{ dbt.type_string() }}) as kpi_name,
        cast(actuals.segment as {{ dbt.type_string() }}) as segment,
        cast(catalog.owner_team as {{ dbt.type_string() }}) as owner_team,
        cast(catalog.unit as {{ dbt.type_string() }}) as unit,
        cast(catalog.direction as {{ dbt.type_string() }}) as direction,
        cast(actuals.actual_value as double precision) as actual_value,
        cast(targets.target_value as double precision) as target_value,
        cast(case
            when catalog.direction = 'lower_is_better' then {{ safe_divide('targets.target_value', 'actuals.actual_value') }}
            else {{ safe_divide('actuals.actual_value', 'targets.target_value') }}
        end as double precision) as attainment,
        case
            when targets.target_value is null or actuals.actual_value is null then null
            when catalog.direction = 'lower_is_better' then actuals.actual_value <= targets.target_value
            else actuals.actual_value >= targets.target_value
        end as is_on_target
    from actuals
    inner join catalog on catalog.kpi_name = actuals.kpi_name
    left join targets
        on targets.month = actuals.month
        and targets.kpi_name = actuals.kpi_name
        and targets.segment = actuals.segment
    -- per-segment rows only where a segment target exists; company-wide rows always
    where actuals.segment = 'all' or targets.target_value is not null
)

select * from final
