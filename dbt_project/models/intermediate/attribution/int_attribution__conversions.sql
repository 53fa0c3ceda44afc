-- One row per conversion the attribution models credit: the creation of every live (not
-- deleted) opportunity, worth its amount as pipeline, and, when it was won, its win, worth the
-- booking; each at two levels:
-- - account: the buying committee, every person of the opportunity's account;
-- - person: only the persons on the opportunity (its CRM contacts).
-- A conversion carries the first time any of its persons became a lead (the W-shaped model's
-- lead-creation moment).
with opportunities as (
    select opportunity_id, account_id, created_at, closed_at, is_won, amount_reporting
    from {{ ref('fct_opportunities') }}
    where not is_deleted
),

person_lead_entries as (
    select person_id, account_id, min(entered_at) as lead_created_at
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
        and stage = 'lead'
    group by person_id, account_id
),

account_lead_entries as (
    -- the first entry of any person of the account into the lead stage
    select account_id, min(lead_created_at) as lead_created_at
    from person_lead_entries
    where account_id is not null
    group by account_id
),

opportunity_lead_entries as (
    -- the first entry of any person on the opportunity into the lead stage
    select opportunity_persons.opportunity_id, min(person_lead_entries.lead_created_at) as lead_created_at
    from {{ ref('int_attribution__opportunity_persons') }} as opportunity_persons
    inner join person_lead_entries on person_lead_entries.person_id = opportunity_persons.person_id
    group by opportunity_persons.opportunity_id
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

levelled as (
    select conversions.*, 'account' as conversion_level, account_lead_entries.lead_created_at
    from conversions
    left join account_lead_entries on account_lead_entries.account_id = conversions.account_id
    union all
    select conversions.*, 'person' as conversion_level, opportunity_lead_entries.lead_created_at
    from conversions
    left join opportunity_lead_entries on opportunity_lead_entries.opportunity_id = conversions.opportunity_id
),

final as (
    select
        {{ surrogate_key(['opportunity_id', 'conversion_type', 'conversion_level']) }} as conversion_id,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        opportunity_id,
        account_id,
        cast(converted_at as timestamp) as converted_at,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(opportunity_created_at as timestamp) as opportunity_created_at,
        cast(lead_created_at as timestamp) as lead_created_at
    from levelled
)

select * from final
