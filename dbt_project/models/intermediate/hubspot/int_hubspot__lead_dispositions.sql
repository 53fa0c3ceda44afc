-- One row per MQL handed to sales on a HubSpot contact: each entry into the MQL stage, sales'
-- verdict (a change of the custom mql_disposition property that crm_lead_disposition_map lists,
-- with the mql_rejection_reason set with it) and the first sales activity on the contact. A
-- verdict belongs to the MQL when it falls before the contact's next MQL entry. A contact without
-- property history (deleted ones) keeps its latest verdict from the current property values.
with stage_events as (
    select * from {{ ref('int_hubspot__stage_events') }}
),

mql_stages as (
    select source_stage from {{ ref('crm_lifecycle_stage_map') }} where crm = 'hubspot' and stage = 'mql'
),

verdict_values as (
    select source_field, source_value, disposition
    from {{ ref('crm_lead_disposition_map') }}
    where crm = 'hubspot'
),

history as (
    select * from {{ ref('stg_hubspot__contact_property_history') }}
),

activities as (
    select * from {{ ref('int_hubspot__sales_activities') }}
),

contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

contacts_with_history as (
    select distinct contact_id from history
),

record_stages as (
    select
        stage_events.source_system,
        stage_events.person_source_record_id,
        stage_events.entered_at,
        mql_stages.source_stage is not null as is_mql,
        lead(stage_events.entered_at) over (
            partition by stage_events.person_source_record_id order by stage_events.entered_at
        ) as next_stage_at
    from stage_events
    left join mql_stages on mql_stages.source_stage = stage_events.source_stage
),

mqls as (
    select
        source_system,
        person_source_record_id,
        entered_at as mql_at,
        next_stage_at,
        lead(entered_at) over (partition by person_source_record_id order by entered_at) as next_mql_at
    from record_stages
    where is_mql
),

verdict_changes as (
    select
        history.contact_id as person_source_record_id,
        verdict_values.disposition,
        history.changed_at as disposition_at
    from history
    inner join verdict_values
        on verdict_values.source_field = history.property_name
        and verdict_values.source_value = history.property_value
    union all
    select
        contacts.contact_id as person_source_record_id,
        verdict_values.disposition,
        contacts.mql_disposition_at as disposition_at
    from contacts
    inner join verdict_values
        on verdict_values.source_field = 'mql_disposition'
        and verdict_values.source_value = contacts.mql_disposition
    where contacts.contact_id not in (select contact_id from contacts_with_history)
        and contacts.mql_disposition_at is not null
),

verdicts as (
    select
        person_source_record_id,
        disposition,
        disposition_at,
        lag(disposition_at) over (partition by person_source_record_id order by disposition_at) as previous_verdict_at,
        lead(disposition_at) over (partition by person_source_record_id order by disposition_at) as next_verdict_at
    from verdict_changes
),

reasons as (
    select contact_id as person_source_record_id, property_value as source_rejection_reason, changed_at
    from history
    where property_name = 'mql_rejection_reason' and property_value is not null
    union all
    select contact_id as person_source_record_id, mql_rejection_reason as source_rejection_reason,
           mql_disposition_at as changed_at
    from contacts
    where contact_id not in (select contact_id from contacts_with_history)
        and mql_rejection_reason is not null
),

-- A rejection's reason is the one set together with it: the last reason recorded after the
-- previous verdict and before the next one.
verdict_reasons as (
    select
        verdicts.person_source_record_id,
        verdicts.disposition_at,
        reasons.source_rejection_reason,
        row_number() over (
            partition by verdicts.person_source_record_id, verdicts.disposition_at order by reasons.changed_at desc
        ) as reason_rank
    from verdicts
    inner join reasons
        on reasons.person_source_record_id = verdicts.person_source_record_id
        and (verdicts.previous_verdict_at is null or reasons.changed_at > verdicts.previous_verdict_at)
        and (verdicts.next_verdict_at is null or reasons.changed_at < verdicts.next_verdict_at)
    where verdicts.disposition = 'rejected'
),

verdicts_with_reason as (
    select
        verdicts.person_source_record_id,
        verdicts.disposition,
        verdicts.disposition_at,
        verdict_reasons.source_rejection_reason
    from verdicts
    left join verdict_reasons
        on verdict_reasons.person_source_record_id = verdicts.person_source_record_id
        and verdict_reasons.disposition_at = verdicts.disposition_at
        and verdict_reasons.reason_rank = 1
),

first_verdicts as (
    select
        mqls.person_source_record_id,
        mqls.mql_at,
        verdicts_with_reason.disposition,
        verdicts_with_reason.source_rejection_reason,
        verdicts_with_reason.disposition_at,
        row_number() over (
            partition by mqls.person_source_record_id, mqls.mql_at order by verdicts_with_reason.disposition_at
        ) as verdict_rank
    from mqls
    inner join verdicts_with_reason
        on verdicts_with_reason.person_source_record_id = mqls.person_source_record_id
        and verdicts_with_reason.disposition_at >= mqls.mql_at
        and (mqls.next_mql_at is null or verdicts_with_reason.disposition_at < mqls.next_mql_at)
),

-- An activity deleted while its contact lives on was logged by mistake; one deleted with its
-- contact still happened.
touches as (
    select activities.person_source_record_id, activities.occurred_at
    from activities
    left join contacts on contacts.contact_id = activities.person_source_record_id
    where not activities.is_deleted or coalesce(contacts.is_deleted, false)
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
        and first_verdicts.verdict_rank = 1
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

final as (
    select
        mqls.source_system,
        mqls.person_source_record_id,
        'contact' as record_type,
        mqls.mql_at,
        first_verdicts.disposition,
        first_verdicts.source_rejection_reason,
        first_verdicts.disposition_at,
        false as is_disposition_inferred,
        first_touches.first_sales_touch_at,
        -- speed to lead
        cast({{ dbt.datediff('mqls.mql_at', 'first_touches.first_sales_touch_at', 'second') }} / 3600.0
             as double precision) as hours_to_first_sales_touch
    from mqls
    left join first_verdicts
        on first_verdicts.person_source_record_id = mqls.person_source_record_id
        and first_verdicts.mql_at = mqls.mql_at
        and first_verdicts.verdict_rank = 1
    left join first_touches
        on first_touches.person_source_record_id = mqls.person_source_record_id
        and first_touches.mql_at = mqls.mql_at
)

select * from final
