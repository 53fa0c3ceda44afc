-- Every stage a HubSpot deal moved to, from the deal property history, with the stage's label
-- from the deal's pipeline (int_crm__opportunity_stage_history maps and dates the stays).
with history as (
    select * from {{ ref('stg_hubspot__deal_property_history') }}
    where property_name = 'dealstage' and property_value is not null
),

deals as (
    select deal_id, pipeline_id, is_deleted from {{ ref('stg_hubspot__deals') }}
),

pipeline_stages as (
    select pipeline_id, stage_id, stage_label from {{ ref('stg_hubspot__deal_pipeline_stages') }}
),

final as (
    select
        history.source_system,
        history.deal_id as opportunity_source_record_id,
        history.property_value as stage_name,
        pipeline_stages.stage_label,
        history.changed_at as entered_at,
        coalesce(deals.is_deleted, false) as is_opportunity_deleted
    from history
    left join deals on deals.deal_id = history.deal_id
    left join pipeline_stages
        on pipeline_stages.pipeline_id = deals.pipeline_id
        and pipeline_stages.stage_id = history.property_value
)

select * from final
