-- Every lifecycle-stage value a HubSpot contact took, with the stage as HubSpot spells it
-- (int_crm__stage_events maps it to a funnel stage).
-- - From the contact property history: every change, re-entries included. The values at the
--   contact's first timestamp are flagged as its initial stage: the stage the record was created
--   at, which for a duplicate record says nothing about the person's progress.
-- - A contact without property history (HubSpot serves none for deleted contacts) falls back on
--   its hs_v2_date_entered_<stage> properties: the last entry into each stage it reached.
with history as (
    select * from {{ ref('stg_hubspot__contact_property_history') }}
    where property_name = 'lifecyclestage' and property_value is not null
),

stage_dates as (
    select * from {{ ref('stg_hubspot__contact_stage_dates') }}
),

contacts as (
    select contact_id, is_deleted from {{ ref('stg_hubspot__contacts') }}
),

contacts_with_history as (
    select distinct contact_id from {{ ref('stg_hubspot__contact_property_history') }}
),

entries as (
    select source_system, contact_id, property_value as source_stage, changed_at as entered_at
    from history
    union all
    select source_system, contact_id, lifecycle_stage as source_stage, last_entered_at as entered_at
    from stage_dates
    where contact_id not in (select contact_id from contacts_with_history)
),

final as (
    select
        entries.source_system,
        entries.contact_id as person_source_record_id,
        'contact' as record_type,
        entries.source_stage,
        entries.entered_at,
        entries.entered_at = min(entries.entered_at) over (partition by entries.contact_id) as is_initial_stage,
        coalesce(contacts.is_deleted, false) as is_record_deleted
    from entries
    left join contacts on contacts.contact_id = entries.contact_id
)

select * from final
