-- The account of each resolved person: by the CRM association first (the account most of the
-- person's CRM records belong to), else by the business email domain of the person's addresses.
-- Personal domains (seed personal_email_domains) never join an account.
with person_records as (
    select * from {{ ref('int_identity__person_records') }}
),

account_records as (
    select * from {{ ref('int_identity__account_records') }}
),

by_association as (
    select person_records.person_id, account_records.account_id, count(*) as records
    from person_records
    inner join {{ ref('int_crm__persons') }} as crm
        on crm.source_system = person_records.source_system
        and crm.record_type = person_records.record_type
        and crm.source_record_id = person_records.source_record_id
    inner join account_records
        on account_records.source_system = crm.source_system
        and account_records.source_record_id = crm.account_source_record_id
    group by person_records.person_id, account_records.account_id
),

domain_accounts as (
    -- every domain node of the account graph belongs to exactly one account
    select
        {{ dbt.split_part('node_id', "'|'", 2) }} as domain,
        {{ dbt.hash('label') }} as account_id
    from {{ ref('int_identity__account_components') }}
    where node_id like 'domain|%'
),

by_domain as (
    select person_records.person_id, domain_accounts.account_id, count(*) as records
    from person_records
    inner join {{ ref('int_identity__record_emails') }} as emails on emails.node_id = person_records.node_id
    inner join domain_accounts on domain_accounts.domain = emails.email_domain
    left join {{ ref('personal_email_domains') }} as personal on personal.domain = emails.email_domain
    where emails.excluded_kind is null and personal.domain is null
    group by person_records.person_id, domain_accounts.account_id
),

candidates as (
    select person_id, account_id, records, 1 as priority, 'crm_association' as matched_by from by_association
    union all
    select person_id, account_id, records, 2, 'email_domain' from by_domain
),

ranked as (
    select
        person_id,
        account_id,
        matched_by,
        row_number() over (partition by person_id order by priority, records desc, account_id) as account_rank
    from candidates
),

final as (
    select person_id, account_id, matched_by from ranked where account_rank = 1
)

select * from final
