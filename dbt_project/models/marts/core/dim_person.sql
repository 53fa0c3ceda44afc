-- First cut: one person per CRM person record. Identity resolution across systems replaces this
-- with resolved persons; the columns BI tools rely on stay.
with records as (
    select * from {{ ref('int_crm__persons') }}
),

final as (
    select
        {{ surrogate_key(['source_system', 'source_record_id']) }} as person_id,
        case when account_source_record_id is not null
             then {{ surrogate_key(['source_system', 'account_source_record_id']) }} end as account_id,
        {{ email_hash('email') }} as email_hash,
        lifecycle_stage,
        owner_id,
        is_deleted,
        created_at,
        source_system,
        source_record_id
    from records
)

select * from final
