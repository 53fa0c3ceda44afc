-- The contacts HubSpot associates with each deal: the people on the deal, in the CRM-neutral
-- shape of int_crm__opportunity_contacts.
with associations as (
    select * from {{ ref('stg_hubspot__associations') }}
    where association_type = 'deal_to_contact'
),

final as (
    select distinct
        'hubspot' as source_system,
        from_id as opportunity_source_record_id,
        'contact' as record_type,
        to_id as person_source_record_id
    from associations
)

select * from final
