-- One row per resolved account (CRM company records resolved by domain, name and CRM merges).
with account_records as (
    select * from {{ ref('int_identity__account_records') }}
),

crm_accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

primary_record as (
    -- the oldest live record with a name describes the account
    select
        account_records.account_id,
        crm_accounts.account_name,
        crm_accounts.industry,
        crm_accounts.country,
        crm_accounts.employees,
        crm_accounts.owner_id,
        row_number() over (
            partition by account_records.account_id
            order by case when crm_accounts.is_deleted then 1 else 0 end,
                     case when crm_accounts.account_name is null then 1 else 0 end,
                     crm_accounts.created_at, crm_accounts.source_record_id
        ) as record_rank
    from account_records
    inner join crm_accounts
        on crm_accounts.source_system = account_records.source_system
        and crm_accounts.source_record_id = account_records.source_record_id
),

domains as (
    select account_id, min(domain) as domain from account_records where domain is not null group by account_id
),

record_summary as (
    select
        account_records.account_id,
        count(*) as source_records_count,
        max(case when account_records.is_deleted then 0 else 1 end) = 0 as is_deleted,
        max(crm_accounts.churned_on) as churned_on,
        min(account_records.created_at) as created_at
    from account_records
    inner join crm_accounts
        on crm_accounts.source_system = account_records.source_system
        and crm_accounts.source_record_id = account_records.source_record_id
    group by account_records.account_id
),

persons as (
    select account_id, count(*) as persons_count
    from {{ ref('int_identity__person_accounts') }}
    group by account_id
),

segments as (
    select segment, min_employees, max_employees from {{ ref('account_segments') }}
),

final as (
    select
        record_summary.account_id,
        primary_record.account_name,
        domains.domain,
        primary_record.industry,
        primary_record.country,
        primary_record.employees,
        coalesce(segments.segment, 'unknown') as segment,
        primary_record.owner_id,
        record_summary.source_records_count,
        coalesce(persons.persons_count, 0) as persons_count,
        record_summary.churned_on,
        record_summary.is_deleted,
        record_summary.created_at
    from record_summary
    left join primary_record on primary_record.account_id = record_summary.account_id and primary_record.record_rank = 1
    left join domains on domains.account_id = record_summary.account_id
    left join persons on persons.account_id = record_summary.account_id
    left join segments
        on primary_record.employees >= segments.min_employees
        and (segments.max_employees is null or primary_record.employees <= segments.max_employees)
)

select * from final
