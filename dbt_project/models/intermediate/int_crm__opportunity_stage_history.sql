-- One row per stage a CRM opportunity entered, whatever CRM the company runs (var `crm`): the
-- CRM's stage, its pipeline stage and order from crm_opportunity_stage_map, and how long it
-- stayed (until the next stage entered). A history row that repeats the stage the opportunity is
-- already in (an amount or close-date change) is no new stage.
with entries as (
    select * from {{ ref('int_' ~ var('crm') ~ '__opportunity_stage_entries') }}
),

stages as (
    select crm, source_stage, pipeline_stage, stage_order from {{ ref('crm_opportunity_stage_map') }}
),

ordered as (
    select
        entries.*,
        stages.pipeline_stage,
        stages.stage_order,
        row_number() over (
            partition by entries.opportunity_source_record_id order by entries.entered_at, stages.stage_order
        ) as entry_rank
    from entries
    left join stages
        on stages.crm = entries.source_system
        and stages.source_stage = entries.stage_name
),

with_previous as (
    select
        ordered.*,
        lag(stage_name) over (partition by opportunity_source_record_id order by entry_rank) as previous_stage_name
    from ordered
),

stays as (
    select * from with_previous
    where previous_stage_name is null or previous_stage_name <> stage_name
),

final as (
    select
        source_system,
        opportunity_source_record_id,
        stage_name,
        stage_label,
        pipeline_stage,
        stage_order,
        entered_at,
        lead(entered_at) over (partition by opportunity_source_record_id order by entry_rank) as exited_at,
        lead(entered_at) over (partition by opportunity_source_record_id order by entry_rank) is null as is_current,
        is_opportunity_deleted
    from stays
)

select * from final
