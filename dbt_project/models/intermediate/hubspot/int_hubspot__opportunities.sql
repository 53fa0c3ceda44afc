-- HubSpot deals in the CRM-neutral shape of int_crm__opportunities.
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

companies as (
    select object_id as deal_id, company_id
    from {{ ref('int_hubspot__primary_company') }}
    where object_type = 'deal'
),

types as (
    select source_type, opportunity_type from {{ ref('crm_opportunity_type_map') }} where crm = 'hubspot'
),

final as (
    select
        deals.source_system,
        deals.source_record_id,
        companies.company_id as account_source_record_id,
        types.opportunity_type,
        deals.deal_name as opportunity_name,
        deals.deal_stage,
        deals.created_at,
        case when deals.is_closed then deals.close_date end as closed_at,
        deals.is_closed,
        deals.is_won,
        deals.closed_lost_reason as lost_reason,
        deals.amount,
        deals.currency,
        deals.owner_id,
        deals.is_deleted
    from deals
    left join companies on companies.deal_id = deals.deal_id
    left join types on types.source_type = deals.deal_type
)

select * from final
