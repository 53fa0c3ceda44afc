-- One row per opportunity and resolved person on it: the CRM contacts the opportunity is
-- associated with (HubSpot deal associations, Salesforce contact roles), resolved to persons.
-- Person-level attribution credits these persons' own touches.
with opportunity_contacts as (
    select * from {{ ref('int_crm__opportunity_contacts') }}
),

person_records as (
    select source_system, record_type, source_record_id, person_id
    from {{ ref('bridge_person_source_record') }}
),

final as (
    select distinct
        {{ surrogate_key(['opportunity_contacts.source_system', 'opportunity_contacts.opportunity_source_record_id']) }}
            as opportunity_id,
        person_records.person_id
    from opportunity_contacts
    inner join person_records
        on person_records.source_system = opportunity_contacts.source_system
        and person_records.record_type = opportunity_contacts.record_type
        and person_records.source_record_id = opportunity_contacts.person_source_record_id
)

select * from final
