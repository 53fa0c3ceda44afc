-- The account graph's edges: a company record and its web domain (normalized: lower case, no
-- scheme, no `www.`, no path), a company record and the one it was merged into, a company
-- record without a domain and the business email domain most of its contacts use, and company
-- records with the same normalized name (case, punctuation and spacing ignored) when that name
-- never comes with two different domains. Personal email domains (seed personal_email_domains)
-- never link an account.
with accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

personal_domains as (
    select domain from {{ ref('personal_email_domains') }}
),

account_domains as (
    select
        source_system,
        source_record_id,
        {{ normalized_domain('website') }} as domain
    from accounts
),

contact_domains as (
    -- the business email domains of each company's contacts (CRM associations)
    select
        persons.source_system,
        persons.account_source_record_id as source_record_id,
        emails.email_domain as domain,
        count(*) as contacts
    from {{ ref('int_crm__persons') }} as persons
    inner join {{ ref('int_identity__record_emails') }} as emails
        on emails.node_id = {{ identity_node('persons.source_system', 'persons.record_type', 'persons.source_record_id') }}
    where persons.account_source_record_id is not null
      and emails.excluded_kind is null
    group by persons.source_system, persons.account_source_record_id, emails.email_domain
),

ranked_contact_domains as (
    select
        source_system,
        source_record_id,
        domain,
        row_number() over (partition by source_system, source_record_id order by contacts desc, domain) as domain_rank
    from contact_domains
),

domains as (
    select account_domains.source_system, account_domains.source_record_id,
           coalesce(account_domains.domain, ranked_contact_domains.domain) as domain
    from account_domains
    left join ranked_contact_domains
        on ranked_contact_domains.source_system = account_domains.source_system
        and ranked_contact_domains.source_record_id = account_domains.source_record_id
        and ranked_contact_domains.domain_rank = 1
),

names as (
    select
        accounts.source_system,
        accounts.source_record_id,
        {{ normalized_company_name('accounts.account_name') }} as company_name,
        domains.domain
    from accounts
    inner join domains
        on domains.source_system = accounts.source_system
        and domains.source_record_id = accounts.source_record_id
    where accounts.account_name is not null
),

unambiguous_names as (
    -- a name that comes with two domains belongs to two companies: it links nobody
    select company_name from names
    group by company_name
    having count(distinct domain) <= 1
),

edges as (
    select
        {{ identity_node('domains.source_system', "'company'", 'domains.source_record_id') }} as node_a,
        {{ dbt.concat(["'domain|'", 'domains.domain']) }} as node_b,
        'has_domain' as edge_type
    from domains
    left join personal_domains on personal_domains.domain = domains.domain
    where domains.domain is not null and personal_domains.domain is null
    union all
    select
        {{ identity_node('source_system', "'company'", 'source_record_id') }},
        {{ identity_node('source_system', "'company'", 'merged_into_source_record_id') }},
        'merged_into'
    from accounts
    where merged_into_source_record_id is not null
    union all
    select
        {{ identity_node('names.source_system', "'company'", 'names.source_record_id') }},
        {{ dbt.concat(["'name|'", 'names.company_name']) }},
        'has_name'
    from names
    inner join unambiguous_names on unambiguous_names.company_name = names.company_name
    where names.company_name <> ''
)

select * from edges
