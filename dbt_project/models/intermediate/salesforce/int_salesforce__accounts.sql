-- Salesforce accounts in the CRM-neutral shape of int_crm__accounts; a merged-away account is
-- kept (deleted) and names its survivor in MasterRecordId.
with accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

final as (
    select
        source_system,
        source_record_id,
        account_name,
        website,
        industry,
        country,
        employees,
        owner_id,
        master_record_id as merged_into_source_record_id,
        is_deleted,
        master_record_id is not null as is_merged_away,
        churned_on,
        created_at
    from accounts
)

select * from final
