-- One row per MQL handed to sales on a Salesforce lead or contact: each entry into the MQL stage,
-- sales' verdict and the first sales activity on the record. A verdict belongs to the MQL when it
-- falls before the record's next MQL entry.
-- - Leads: the verdict is a change of a tracked field that crm_lead_disposition_map lists.
--   Salesforce tracks no history of Rejection_Reason__c: the lead's current reason belongs to its
--   latest verdict when that is a rejection, and earlier rejections keep no reason.
-- - Contacts have no disposition field: a worked MQL (one with a sales touch) that moves on to SAL
--   was accepted, one that falls back below MQL was rejected (reason unknown), dated at that move
--   and flagged is_disposition_inferred.
-- Activities move to the contact when a lead converts, so a lead's touches are those on the lead
-- and on the contact it was converted into.
with stage_events as (
    select * from {{ ref('int_salesforce__stage_events') }}
),

stage_map as (
    select source_stage, stage, stage_order from {{ ref('crm_lifecycle_stage_map') }} where crm = 'salesforce'
),

verdict_values as (
    select source_field, source_value, disposition
    from {{ ref('crm_lead_disposition_map') }}
    where crm = 'salesforce'
),

lead_history as (
    select * from {{ ref('stg_salesforce__lead_history') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

activities as (
    select * from {{ ref('int_salesforce__sales_activities') }}
),

record_stages as (
    select
        stage_events.source_system,
        stage_events.person_source_record_id,
        stage_events.record_type,
        stage_events.entered_at,
        stage_map.stage,
        stage_map.stage_order,
        lead(stage_events.entered_at) over (
            partition by stage_events.person_source_record_id order by stage_events.entered_at
        ) as next_stage_at,
        lead(stage_map.stage) over (
            partition by stage_events.person_source_record_id order by stage_events.entered_at
        ) as next_stage,
        lead(stage_map.stage_order) over (
            partition by stage_events.person_source_record_id order by stage_events.entered_at
        ) as next_stage_order
    from stage_events
    left join stage_map on stage_map.source_stage = stage_events.source_stage
),

mqls as (
    select
        source_system,
        person_source_record_id,
        record_type,
        entered_at as mql_at,
        stage_order as mql_stage_order,
        next_stage_at,
        next_stage,
        next_stage_order,
        lead(entered_at) over (partition by person_source_record_id order by entered_at) as next_mql_at
    from record_stages
    where stage = 'mql'
),

-- A verdict often changes two tracked fields at once (Disposition__c and Status): one verdict.
verdict_changes as (
    select
        lead_history.lead_id as person_source_record_id,
        lead_history.changed_at as disposition_at,
        verdict_values.disposition,
        row_number() over (
            partition by lead_history.lead_id, lead_history.changed_at order by verdict_values.disposition
        ) as change_rank
    from lead_history
    inner join verdict_values
        on verdict_values.source_field = lead_history.field_name
        and verdict_values.source_value = lead_history.new_value
),

verdicts as (
    select
        verdict_changes.person_source_record_id,
        verdict_changes.disposition_at,
        verdict_changes.disposition,
        case when verdict_changes.disposition = 'rejected'
              and verdict_changes.disposition_at = max(verdict_changes.disposition_at) over (
                  partition by verdict_changes.person_source_record_id)
             then leads.rejection_reason end as source_rejection_reason
    from verdict_changes
    left join leads on leads.lead_id = verdict_changes.person_source_record_id
    where verdict_changes.change_rank = 1
),

ranked_verdicts as (
    select
        mqls.person_source_record_id,
        mqls.mql_at,
        verdicts.disposition,
        verdicts.source_rejection_reason,
        verdicts.disposition_at,
        row_number() over (
            partition by mqls.person_source_record_id, mqls.mql_at order by verdicts.disposition_at
        ) as verdict_rank
    from mqls
    inner join verdicts
        on verdicts.person_source_record_id = mqls.person_source_record_id
        and verdicts.disposition_at >= mqls.mql_at
        and (mqls.next_mql_at is null or verdicts.disposition_at < mqls.next_mql_at)
),

first_verdicts as (
    select * from ranked_verdicts where verdict_rank = 1
),

-- Which records' activities count for a person record: its own, and a converted lead's contact's.
activity_records as (
    select lead_id as person_source_record_id, lead_id as who_id from leads
    union all
    select lead_id as person_source_record_id, converted_contact_id as who_id from leads
    where is_converted and converted_contact_id is not null
    union all
    select contact_id as person_source_record_id, contact_id as who_id from contacts
),

who_records as (
    select lead_id as who_id, is_deleted from leads
    union all
    select contact_id as who_id, is_deleted from contacts
),

-- An activity deleted while its record lives on was logged by mistake; one deleted with its
-- record still happened.
touches as (
    select activity_records.person_source_record_id, activities.occurred_at
    from activities
    inner join activity_records on activity_records.who_id = activities.person_source_record_id
    left join who_records on who_records.who_id = activities.person_source_record_id
    where not activities.is_deleted or coalesce(who_records.is_deleted, false)
),

-- Speed to lead: the first touch while the record is still an MQL (until its next stage entry, or
-- until the verdict when that comes later). Activities after that are other work (deal work,
-- outbound sequences), not the follow-up of this MQL.
touch_windows as (
    select
        mqls.person_source_record_id,
        mqls.mql_at,
        case when mqls.next_stage_at is null then first_verdicts.disposition_at
             when first_verdicts.disposition_at > mqls.next_stage_at then first_verdicts.disposition_at
             else mqls.next_stage_at end as touch_window_end
    from mqls
    left join first_verdicts
        on first_verdicts.person_source_record_id = mqls.person_source_record_id
        and first_verdicts.mql_at = mqls.mql_at
),

first_touches as (
    select touch_windows.person_source_record_id, touch_windows.mql_at, min(touches.occurred_at) as first_sales_touch_at
    from touch_windows
    inner join touches
        on touches.person_source_record_id = touch_windows.person_source_record_id
        and touches.occurred_at >= touch_windows.mql_at
        and (touch_windows.touch_window_end is null or touches.occurred_at <= touch_windows.touch_window_end)
    group by touch_windows.person_source_record_id, touch_windows.mql_at
),

inferred_verdicts as (
    select
        mqls.person_source_record_id,
        mqls.mql_at,
        case when mqls.next_stage = 'sal' then 'accepted'
             when mqls.next_stage_order < mqls.mql_stage_order then 'rejected' end as disposition,
        mqls.next_stage_at as disposition_at
    from mqls
    inner join first_touches
        on first_touches.person_source_record_id = mqls.person_source_record_id
        and first_touches.mql_at = mqls.mql_at
    where mqls.record_type = 'contact'
),

final as (
    select
        mqls.source_system,
        mqls.person_source_record_id,
        mqls.record_type,
        mqls.mql_at,
        coalesce(first_verdicts.disposition, inferred_verdicts.disposition) as disposition,
        first_verdicts.source_rejection_reason,
        case when first_verdicts.disposition is not null then first_verdicts.disposition_at
             when inferred_verdicts.disposition is not null then inferred_verdicts.disposition_at
        end as disposition_at,
        first_verdicts.disposition is null and inferred_verdicts.disposition is not null as is_disposition_inferred,
        first_touches.first_sales_touch_at,
        -- speed to lead
        cast({{ dbt.datediff('mqls.mql_at', 'first_touches.first_sales_touch_at', 'second') }} / 3600.0
             as double precision) as hours_to_first_sales_touch
    from mqls
    left join first_verdicts
        on first_verdicts.person_source_record_id = mqls.person_source_record_id
        and first_verdicts.mql_at = mqls.mql_at
    left join inferred_verdicts
        on inferred_verdicts.person_source_record_id = mqls.person_source_record_id
        and inferred_verdicts.mql_at = mqls.mql_at
    left join first_touches
        on first_touches.person_source_record_id = mqls.person_source_record_id
        and first_touches.mql_at = mqls.mql_at
)

select * from final
