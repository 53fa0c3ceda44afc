-- Every lifecycle-stage value (Lifecycle_Stage__c) a Salesforce lead or contact took, with the
-- stage as Salesforce spells it (int_crm__stage_events maps it to a funnel stage).
-- Field history records changes only: the stage a record was created at is the first change's old
-- value, or the current value when it never changed, dated at the record's creation and flagged
-- as its initial stage. A contact created by converting a lead starts at the stage the lead had:
-- that start is the lead's stage carried over, not a new entry, and is left out.
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

records as (
    select source_system, lead_id as record_id, 'lead' as record_type, lifecycle_stage, created_at, is_deleted
    from leads
    union all
    select source_system, contact_id as record_id, 'contact' as record_type, lifecycle_stage, created_at, is_deleted
    from contacts
),

changes as (
    select lead_id as record_id, old_value, new_value, changed_at
    from {{ ref('stg_salesforce__lead_history') }}
    where field_name = 'Lifecycle_Stage__c'
    union all
    select contact_id as record_id, old_value, new_value, changed_at
    from {{ ref('stg_salesforce__contact_history') }}
    where field_name = 'Lifecycle_Stage__c'
),

first_changes as (
    select
        record_id,
        old_value,
        row_number() over (partition by record_id order by changed_at) as change_rank
    from changes
),

converted_contacts as (
    select distinct contacts.contact_id
    from leads
    inner join contacts on contacts.contact_id = leads.converted_contact_id
    where leads.is_converted and leads.converted_on = cast(contacts.created_at as date)
),

initial_stages as (
    select
        records.record_id,
        case when first_changes.record_id is not null then first_changes.old_value
             else records.lifecycle_stage end as source_stage,
        records.created_at as entered_at,
        true as is_initial_stage
    from records
    left join first_changes
        on first_changes.record_id = records.record_id
        and first_changes.change_rank = 1
    where records.record_id not in (select contact_id from converted_contacts)
),

later_stages as (
    select record_id, new_value as source_stage, changed_at as entered_at, false as is_initial_stage
    from changes
),

entries as (
    select * from initial_stages
    union all
    select * from later_stages
),

final as (
    select
        records.source_system,
        entries.record_id as person_source_record_id,
        records.record_type,
        entries.source_stage,
        entries.entered_at,
        entries.is_initial_stage,
        records.is_deleted as is_record_deleted
    from entries
    inner join records on records.record_id = entries.record_id
    where entries.source_stage is not null
)

select * from final
