-- Every lifecycle-stage entry of a CRM person record, whatever CRM the company runs (var `crm`),
-- with the CRM's stage value mapped to a funnel stage by crm_lifecycle_stage_map. Re-entries
-- after a regression are rows of their own.
with events as (
    select * from {{ ref('int_' ~ var('crm') ~ '__stage_events') }}
),

stages as (
    select crm, source_stage, stage, stage_order from {{ ref('crm_lifecycle_stage_map') }}
),

final as (
    select
        events.source_system,
        events.person_source_record_id,
        events.record_type,
        stages.stage,
        stages.stage_order,
        events.source_stage,
        events.entered_at,
        events.is_initial_stage,
        events.is_record_deleted
    from events
    left join stages
        on stages.crm = events.source_system
        and stages.source_stage = events.source_stage
)

select * from final
