-- Salesforce leads and contacts in the CRM-neutral shape of int_crm__persons. A converted lead
-- and its contact are two records of one person; identity resolution links them.
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

stages as (
    select source_stage, stage from {{ ref('crm_lifecycle_stage_map') }} where crm = 'salesforce'
),

records as (
    select source_system, source_record_id, 'lead' as record_type, converted_account_id as account_source_record_id,
           email, first_name, last_name, job_title, lifecycle_stage, owner_id, is_deleted, created_at
    from leads
    union all
    select source_system, source_record_id, 'contact' as record_type, account_id as account_source_record_id,
           email, first_name, last_name, job_title, lifecycle_stage, owner_id, is_deleted, created_at
    from contacts
),

final as (
    select
        records.source_system,
        records.source_record_id,
        records.record_type,
        records.account_source_record_id,
        records.email,
        records.first_name,
        records.last_name,
        records.job_title,
        stages.stage as lifecycle_stage,
        records.owner_id,
        records.is_deleted,
        records.created_at
    from records
    left join stages on stages.source_stage = records.lifecycle_stage
)

select * from final
