-- The contacts of each opportunity's contact roles (the buying committee Salesforce records), in
-- the CRM-neutral shape of int_crm__opportunity_contacts. Deleted roles are left out.
with contact_roles as (
    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not is_deleted
        and contact_id is not null
),

final as (
    select distinct
        'salesforce' as source_system,
        opportunity_id as opportunity_source_record_id,
        'contact' as record_type,
        contact_id as person_source_record_id
    from contact_roles
)

select * from final
