-- Identifiers that would tie too many people together, skipped and reported instead of merged:
-- a device, user id or click id that typed more distinct (normalized, usable) addresses than var
-- identity_max_emails_per_identifier (a booth tablet at an event), and an address on more CRM and
-- email-platform records than var identity_max_records_per_email (an inbox several people share).
with usable_emails as (
    select node_id, email_normalized
    from {{ ref('int_identity__record_emails') }}
    where excluded_kind is null
),

shared_devices as (
    select
        node_id,
        'too_many_emails' as reason,
        count(distinct email_normalized) as group_size,
        {{ var('identity_max_emails_per_identifier') }} as max_group_size
    from usable_emails
    where node_id not like 'email|%'
      and {{ dbt.split_part('node_id', "'|'", 2) }} not in ('contact', 'lead', 'member')
    group by node_id
    having count(distinct email_normalized) > {{ var('identity_max_emails_per_identifier') }}
),

shared_inboxes as (
    select
        {{ dbt.concat(["'email|'", 'email_normalized']) }} as node_id,
        'too_many_records' as reason,
        count(distinct node_id) as group_size,
        {{ var('identity_max_records_per_email') }} as max_group_size
    from usable_emails
    where {{ dbt.split_part('node_id', "'|'", 2) }} in ('contact', 'lead', 'member')
    group by email_normalized
    having count(distinct node_id) > {{ var('identity_max_records_per_email') }}
),

final as (
    select * from shared_devices
    union all
    select * from shared_inboxes
)

select * from final
