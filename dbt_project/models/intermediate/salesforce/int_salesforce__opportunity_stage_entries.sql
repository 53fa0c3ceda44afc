-- Every stage a Salesforce opportunity entered, from OpportunityHistory (one row per stage change,
-- or per amount or close-date change: int_crm__opportunity_stage_history keeps stage changes only),
-- with the stage's label from the StageName picklist.
with history as (
    select * from {{ ref('stg_salesforce__opportunity_history') }}
    where stage_name is not null
),

opportunities as (
    select opportunity_id, is_deleted from {{ ref('stg_salesforce__opportunities') }}
),

stage_labels as (
    select picklist_value, picklist_label from {{ ref('stg_salesforce__picklist_values') }}
    where sobject_name = 'Opportunity' and field_name = 'StageName'
),

final as (
    select
        history.source_system,
        history.opportunity_id as opportunity_source_record_id,
        history.stage_name,
        stage_labels.picklist_label as stage_label,
        history.created_at as entered_at,
        coalesce(opportunities.is_deleted, history.is_deleted) as is_opportunity_deleted
    from history
    left join opportunities on opportunities.opportunity_id = history.opportunity_id
    left join stage_labels on stage_labels.picklist_value = history.stage_name
)

select * from final
