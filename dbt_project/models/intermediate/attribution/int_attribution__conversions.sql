-- One row per conversion the attribution models credit: the creation of every live (not
-- deleted) opportunity, worth its amount as pipeline, and, when it was won, its win, worth the
-- booking. Buying committees are accounts: a conversion credits the touches of every person of
-- the opportunity's account, so it carries the account and the first time any of its persons
-- became a lead (the W-shaped model's lead-creation moment).
with opportunities as (
    select opportunity_id, account_id, created_at, closed_at, is_won, amount_reporting
    from {{ ref('fct_opportunities') }}
    where not is_deleted
),

lead_entries as (
    -- the first entry of any person of the account into the lead stage
    select account_id, min(entered_at) as lead_created_at
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
        and stage = 'lead'
        and account_id is not null
    group by account_id
),

created as (
    select
        opportunity_id,
        account_id,
        'opportunity_created' as conversion_type,
        created_at as converted_at,
        coalesce(amount_reporting, 0) as revenue,
        created_at as opportunity_created_at
    from opportunities
    where created_at is not null
),

won as (
    select
        opportunity_id,
        account_id,
        'opportunity_won' as conversion_type,
        closed_at as converted_at,
        coalesce(amount_reporting, 0) as revenue,
        created_at as opportunity_created_at
    from opportunities
    where is_won
        and closed_at is not null
),

conversions as (
    select * from created
    union all
    select * from won
),

final as (
    select
        {{ surrogate_key(['conversions.opportunity_id', 'conversions.conversion_type']) }} as conversion_id,
        cast(conversions.conversion_type as {{ dbt.type_string() }}) as conversion_type,
        conversions.opportunity_id,
        conversions.account_id,
        cast(conversions.converted_at as timestamp) as converted_at,
        cast(conversions.revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(conversions.opportunity_created_at as timestamp) as opportunity_created_at,
        cast(lead_entries.lead_created_at as timestamp) as lead_created_at
    from conversions
    left join lead_entries on lead_entries.account_id = conversions.account_id
)

select * from final
