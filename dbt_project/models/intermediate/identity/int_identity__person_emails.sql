-- The usable (normalized, not excluded) addresses of each resolved person, the primary one first:
-- the address most of the person's records carry (ties: alphabetical).
with person_records as (
    select * from {{ ref('int_identity__person_records') }}
),

emails as (
    select person_records.person_id, emails.email_normalized, emails.email_domain, count(*) as records
    from person_records
    inner join {{ ref('int_identity__record_emails') }} as emails on emails.node_id = person_records.node_id
    where emails.excluded_kind is null
    group by person_records.person_id, emails.email_normalized, emails.email_domain
),

final as (
    select
        person_id,
        email_normalized,
        email_domain,
        records,
        row_number() over (partition by person_id order by records desc, email_normalized) as email_rank,
        count(*) over (partition by person_id) as emails_count
    from emails
)

select * from final
