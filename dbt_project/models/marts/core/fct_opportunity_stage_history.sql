-- One row per stage an opportunity entered, with how long it stayed there. Keys match
-- fct_opportunities (opportunity_id from the source system and the opportunity's CRM id).
-- The stages of quarantined opportunities (int_quarantine__opportunities) are left out with them.
with quarantined as (
    select distinct source_system, source_record_id from {{ ref('int_quarantine__opportunities') }}
),

stage_history as (
    select crm_stages.*
    from {{ ref('int_crm__opportunity_stage_history') }} as crm_stages
    left join quarantined
        on quarantined.source_system = crm_stages.source_system
        and quarantined.source_record_id = crm_stages.opportunity_source_record_id
    where quarantined.source_record_id is null
),

sequenced as (
    select
        stage_history.*,
        row_number() over (
            partition by stage_history.source_system, stage_history.opportunity_source_record_id
            order by stage_history.entered_at, stage_history.stage_order
        ) as stage_sequence
    from stage_history
),

final as (
    select
        {{ surrogate_key(['source_system', 'opportunity_source_record_id', 'stage_sequence']) }}
            as opportunity_stage_id,
        {{ surrogate_key(['source_system', 'opportunity_source_record_id']) }} as opportunity_id,
        cast(stage_sequence as integer) as stage_sequence,
        stage_name,
        stage_label,
        pipeline_stage,
        cast(stage_order as integer) as stage_order,
        entered_at,
        exited_at,
        is_current,
        cast({{ dbt.datediff('entered_at', 'exited_at', 'second') }} / 86400.0 as double precision) as days_in_stage,
        is_opportunity_deleted as is_deleted,
        source_system,
        opportunity_source_record_id as source_record_id
    from sequenced
)

select * from final
