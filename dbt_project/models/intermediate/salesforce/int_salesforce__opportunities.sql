-- Salesforce opportunities in the CRM-neutral shape of int_crm__opportunities. Salesforce keeps
-- only a close date, so a closed opportunity's closed_at is midnight UTC of that date.
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

types as (
    select source_type, opportunity_type from {{ ref('crm_opportunity_type_map') }} where crm = 'salesforce'
),

final as (
    select
        opportunities.source_system,
        opportunities.source_record_id,
        opportunities.account_id as account_source_record_id,
        types.opportunity_type,
        opportunities.opportunity_name,
        opportunities.stage_name as deal_stage,
        opportunities.created_at,
        case when opportunities.is_closed then cast(opportunities.close_date as timestamp) end as closed_at,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.loss_reason as lost_reason,
        opportunities.amount,
        opportunities.currency,
        opportunities.owner_id,
        opportunities.is_deleted
    from opportunities
    left join types on types.source_type = opportunities.opportunity_type
)

select * from final
