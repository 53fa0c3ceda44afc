-- First cut: one person per surviving CRM contact. Identity resolution across systems replaces
-- this with resolved persons; the columns BI tools rely on stay.
with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

stages as (
    select * from {{ ref('crm_lifecycle_stage_map') }} where crm = 'hubspot'
),

contact_company as (
    select object_id as contact_id, company_id
    from {{ ref('int_hubspot__primary_company') }}
    where object_type = 'contact'
),

final as (
    select
        {{ surrogate_key(["'hubspot'", 'contacts.contact_id']) }} as person_id,
        case when contact_company.company_id is not null
             then {{ surrogate_key(["'hubspot'", 'contact_company.company_id']) }} end as account_id,
        {{ email_hash('contacts.email') }} as email_hash,
        stages.stage as lifecycle_stage,
        contacts.owner_id,
        contacts.is_deleted,
        contacts.created_at,
        contacts.source_system,
        contacts.source_record_id
    from contacts
    left join contact_company on contact_company.contact_id = contacts.contact_id
    left join stages on stages.source_stage = contacts.lifecycle_stage
)

select * from final
