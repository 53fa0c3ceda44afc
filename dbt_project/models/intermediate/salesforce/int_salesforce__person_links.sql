-- Pairs of Salesforce lead/contact records that are one person by the CRM's own account: a
-- merged-away record names its survivor in MasterRecordId (same object), and a converted lead
-- names the contact it became (a lead merged into an existing contact is converted into it).
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

links as (
    select source_record_id, 'lead' as record_type, 'lead' as linked_record_type,
           master_record_id as linked_source_record_id, 'merged_into' as link_type
    from leads where master_record_id is not null
    union all
    select source_record_id, 'lead', 'contact', converted_contact_id, 'converted_to'
    from leads where converted_contact_id is not null
    union all
    select source_record_id, 'contact', 'contact', master_record_id, 'merged_into'
    from contacts where master_record_id is not null
),

final as (
    select distinct
        'salesforce' as source_system,
        record_type,
        source_record_id,
        linked_record_type,
        linked_source_record_id,
        link_type
    from links
)

select * from final
