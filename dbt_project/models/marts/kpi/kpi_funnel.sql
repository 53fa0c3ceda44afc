-- The funnel by month, source channel and stage, in two views (funnel_view):
-- - cohort: persons by the month they entered the funnel, and how many of them reached each stage;
-- - period: persons by the month they first reached each stage.
-- A person reaches a stage when they enter it or any later funnel stage (counts never grow from
-- one stage to the next in the cohort view). Source channel: the person's first touch.
with stages as (
    select distinct stage, stage_order
    from {{ ref('crm_lifecycle_stage_map') }}
    where stage_order > 0
        and stage <> 'churned'
),

entries as (
    select person_id, stage_order, entered_at
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
        and stage <> 'churned'
        and stage_order > 0
),

persons as (
    select person_id, coalesce(first_touch_channel, 'no_touch') as source_channel
    from {{ ref('dim_person') }}
),

reached as (
    -- when each person first reached each stage or a later one
    select entries.person_id, stages.stage, stages.stage_order, min(entries.entered_at) as reached_at
    from entries
    inner join stages on entries.stage_order >= stages.stage_order
    group by entries.person_id, stages.stage, stages.stage_order
),

journeys as (
    select
        reached.person_id,
        persons.source_channel,
        reached.stage,
        reached.stage_order,
        reached.reached_at,
        min(reached.reached_at) over (partition by reached.person_id) as entered_funnel_at,
        lag(reached.reached_at) over (partition by reached.person_id order by reached.stage_order)
            as previous_stage_reached_at
    from reached
    inner join persons on persons.person_id = reached.person_id
),

timed as (
    select
        journeys.*,
        cast({{ dbt.date_trunc('month', 'entered_funnel_at') }} as date) as cohort_month,
        cast({{ dbt.date_trunc('month', 'reached_at') }} as date) as reached_month,
        -- velocity only for persons who reached the previous stage before this one (not skippers)
        case when previous_stage_reached_at < reached_at
             then cast({{ dbt.datediff('previous_stage_reached_at', 'reached_at', 'second') }} as double precision) / 86400
        end as days_from_previous_stage
    from journeys
),

by_view as (
    select 'cohort' as funnel_view, cohort_month as month, source_channel, stage, stage_order, days_from_previous_stage
    from timed
    union all
    select 'period' as funnel_view, reached_month as month, source_channel, stage, stage_order, days_from_previous_stage
    from timed
),

counted as (
    select
        funnel_view,
        month,
        source_channel,
        stage,
        stage_order,
        count(*) as persons_reached,
        {{ percentile('days_from_previous_stage', 0.5) }} as median_days_from_previous_stage,
        {{ percentile('days_from_previous_stage', 0.9) }} as p90_days_from_previous_stage
    from by_view
    group by funnel_view, month, source_channel, stage, stage_order
),

-- every stage of every view, month and channel, so a stage nobody reached shows 0
grid as (
    select distinct counted.funnel_view, counted.month, counted.source_channel, stages.stage, stages.stage_order
    from counted
    cross join stages
),

filled as (
    select
        grid.funnel_view,
        grid.month,
        grid.source_channel,
        grid.stage,
        grid.stage_order,
        coalesce(counted.persons_reached, 0) as persons_reached,
        counted.median_days_from_previous_stage,
        counted.p90_days_from_previous_stage
    from grid
    left join counted
        on counted.funnel_view = grid.funnel_view
        and counted.month = grid.month
        and counted.source_channel = grid.source_channel
        and counted.stage = grid.stage
),

rated as (
    select
        filled.*,
        lag(persons_reached) over (
            partition by funnel_view, month, source_channel order by stage_order
        ) as persons_reached_previous_stage,
        first_value(persons_reached) over (
            partition by funnel_view, month, source_channel order by stage_order
            rows between unbounded preceding and unbounded following
        ) as persons_entered
    from filled
),

final as (
    select
        cast(funnel_view as {{ dbt.type_string() }}) as funnel_view,
        cast(month as date) as month,
        cast(source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_order as integer) as stage_order,
        cast(persons_reached as bigint) as persons_reached,
        cast(persons_reached_previous_stage as bigint) as persons_reached_previous_stage,
        cast({{ safe_divide('persons_reached', 'persons_reached_previous_stage') }} as double precision)
            as conversion_rate_from_previous_stage,
        cast({{ safe_divide('persons_reached', 'persons_entered') }} as double precision) as conversion_rate_from_entry,
        cast(median_days_from_previous_stage as double precision) as median_days_from_previous_stage,
        cast(p90_days_from_previous_stage as double precision) as p90_days_from_previous_stage
    from rated
)

select * from final
