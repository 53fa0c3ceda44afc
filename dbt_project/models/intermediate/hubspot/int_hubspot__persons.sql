-- HubSpot contacts in the CRM-neutral shape of int_crm__persons.
with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

companies as (
    select object_id as contact_id, company_id
    from {{ ref('int_hubspot__primary_company') }}
    where object_type = 'contact'
),

stages as (
    select source_stage, stage from {{ ref('crm_lifecycle_stage_map') }} where crm = 'hubspot'
),

final as (
    select
        contacts.source_system,
        contacts.source_record_id,
        'contact' as record_type,
        companies.company_id as account_source_record_id,
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.job_title,
        stages.stage as lifecycle_stage,
        contacts.owner_id,
        contacts.is_deleted,
        contacts.created_at
    from contacts
    left join companies on companies.contact_id = contacts.contact_id
    left join stages on stages.source_stage = contacts.lifecycle_stage
)

select * from final
