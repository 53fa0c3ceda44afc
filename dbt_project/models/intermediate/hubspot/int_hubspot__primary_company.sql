-- The company each CRM contact or deal belongs to. A record linked to several companies keeps
-- the oldest one (lowest id), so every contact and deal has at most one account.
with associations as (
    select * from {{ ref('stg_hubspot__associations') }}
    where association_type in ('contact_to_company', 'deal_to_company')
),

final as (
    select
        from_object_type as object_type,
        from_id as object_id,
        min(to_id) as company_id
    from associations
    group by from_object_type, from_id
)

select * from final
