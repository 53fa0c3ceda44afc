-- Pipeline and bookings by calendar month (UTC) and account segment, in the reporting currency:
-- pipeline created (all, marketing-sourced, sales-sourced, marketing-influenced), deals won and
-- lost, win rates, deal size, sales cycle, the open pipeline at the month's end and its coverage
-- of the bookings target of the next three months (seed kpi_targets). Deleted deals never count.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where not is_deleted
),

targets as (
    select month, segment, target_value from {{ ref('kpi_targets') }}
    where kpi_name = 'bookings'
),

months as (
    select distinct month_start as month, cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from {{ ref('dim_date') }}
    where month_start >= (select cast({{ dbt.date_trunc('month', 'min(created_at)') }} as date) from opportunities)
        and month_start <= (select cast(max(coalesce(closed_at, created_at)) as date) from opportunities)
),

segments as (
    select segment from {{ ref('account_segments') }}
    union all
    select 'unknown' as segment
),

grid as (
    select months.month, months.month_end, segments.segment
    from months
    cross join segments
),

created as (
    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month,
        segment,
        count(*) as opportunities_created,
        sum(coalesce(amount_reporting, 0)) as pipeline_created_amount,
        sum(case when sourced_by = 'marketing' then 1 else 0 end) as marketing_sourced_opportunities,
        sum(case when sourced_by = 'marketing' then coalesce(amount_reporting, 0) else 0 end) as marketing_sourced_pipeline,
        sum(case when sourced_by = 'sales' then 1 else 0 end) as sales_sourced_opportunities,
        sum(case when sourced_by = 'sales' then coalesce(amount_reporting, 0) else 0 end) as sales_sourced_pipeline,
        sum(case when is_marketing_influenced then 1 else 0 end) as marketing_influenced_opportunities,
        sum(case when is_marketing_influenced then coalesce(amount_reporting, 0) else 0 end)
            as marketing_influenced_pipeline
    from opportunities
    group by 1, 2
),

closed as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as month,
        segment,
        sum(case when is_won then 1 else 0 end) as deals_won,
        sum(case when not is_won then 1 else 0 end) as deals_lost,
        sum(case when is_won then coalesce(amount_reporting, 0) else 0 end) as bookings_amount,
        sum(case when not is_won then coalesce(amount_reporting, 0) else 0 end) as lost_amount,
        {{ percentile('case when is_won then cycle_days end', 0.5) }} as median_sales_cycle_days
    from opportunities
    where is_closed
        and closed_at is not null
    group by 1, 2
),

open_at_month_end as (
    select
        grid.month,
        grid.segment,
        count(opportunities.opportunity_id) as open_opportunities,
        sum(coalesce(opportunities.amount_reporting, 0)) as open_pipeline_amount
    from grid
    inner join opportunities
        on opportunities.segment = grid.segment
        and cast(opportunities.created_at as date) <= grid.month_end
        and (opportunities.closed_at is null or cast(opportunities.closed_at as date) > grid.month_end)
    group by grid.month, grid.segment
),

coverage_targets as (
    -- the bookings target of the three months after each month
    select grid.month, grid.segment, sum(targets.target_value) as next_quarter_bookings_target
    from grid
    inner join targets
        on targets.segment = grid.segment
        and targets.month > grid.month
        and targets.month <= {{ dbt.dateadd('month', 3, 'grid.month') }}
    group by grid.month, grid.segment
),

final as (
    select
        cast(grid.month as date) as month,
        cast(grid.segment as {{ dbt.type_string() }}) as segment,
        cast(coalesce(created.opportunities_created, 0) as bigint) as opportunities_created,
        cast(coalesce(created.pipeline_created_amount, 0) as {{ dbt.type_numeric() }}) as pipeline_created_amount,
        cast(coalesce(created.marketing_sourced_opportunities, 0) as bigint) as marketing_sourced_opportunities,
        cast(coalesce(created.marketing_sourced_pipeline, 0) as {{ dbt.type_numeric() }}) as marketing_sourced_pipeline,
        cast(coalesce(created.sales_sourced_opportunities, 0) as bigint) as sales_sourced_opportunities,
        cast(coalesce(created.sales_sourced_pipeline, 0) as {{ dbt.type_numeric() }}) as sales_sourced_pipeline,
        cast(coalesce(created.marketing_influenced_opportunities, 0) as bigint) as marketing_influenced_opportunities,
        cast(coalesce(created.marketing_influenced_pipeline, 0) as {{ dbt.type_numeric() }}) as marketing_influenced_pipeline,
        cast(coalesce(closed.deals_won, 0) as bigint) as deals_won,
        cast(coalesce(closed.deals_lost, 0) as bigint) as deals_lost,
        cast(coalesce(closed.bookings_amount, 0) as {{ dbt.type_numeric() }}) as bookings_amount,
        cast(coalesce(closed.lost_amount, 0) as {{ dbt.type_numeric() }}) as lost_amount,
        cast({{ safe_divide('closed.deals_won', 'closed.deals_won + closed.deals_lost') }} as double precision) as win_rate,
        cast({{ safe_divide('closed.bookings_amount', 'closed.bookings_amount + closed.lost_amount') }} as double precision)
            as win_rate_amount,
        cast(closed.bookings_amount / nullif(closed.deals_won, 0) as {{ dbt.type_numeric() }}) as average_deal_size,
        cast(closed.median_sales_cycle_days as double precision) as median_sales_cycle_days,
        cast(coalesce(open_at_month_end.open_opportunities, 0) as bigint) as open_opportunities,
        cast(coalesce(open_at_month_end.open_pipeline_amount, 0) as {{ dbt.type_numeric() }}) as open_pipeline_amount,
        cast(coverage_targets.next_quarter_bookings_target as {{ dbt.type_numeric() }}) as next_quarter_bookings_target,
        cast({{ safe_divide('open_at_month_end.open_pipeline_amount', 'coverage_targets.next_quarter_bookings_target') }}
            as double precision) as pipeline_coverage,
        '{{ var("reporting_currency") }}' as reporting_currency
    from grid
    left join created on created.month = grid.month and created.segment = grid.segment
    left join closed on closed.month = grid.month and closed.segment = grid.segment
    left join open_at_month_end on open_at_month_end.month = grid.month and open_at_month_end.segment = grid.segment
    left join coverage_targets on coverage_targets.month = grid.month and coverage_targets.segment = grid.segment
)

select * from final
