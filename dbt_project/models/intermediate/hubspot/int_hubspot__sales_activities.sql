-- HubSpot calls, meetings and sales emails in the CRM-neutral shape of int_crm__sales_activities.
-- An engagement linked to several contacts (or deals) is about the lowest contact (deal) id, so
-- every activity is one row.
with engagements as (
    select * from {{ ref('stg_hubspot__engagements') }}
),

activity_types as (
    select source_type, activity_type from {{ ref('crm_activity_type_map') }} where crm = 'hubspot'
),

associations as (
    select * from {{ ref('stg_hubspot__associations') }}
    where from_object_type = 'engagement'
),

contacts as (
    select from_id as engagement_id, min(to_id) as contact_id
    from associations
    where association_type = 'engagement_to_contact'
    group by from_id
),

deals as (
    select from_id as engagement_id, min(to_id) as deal_id
    from associations
    where association_type = 'engagement_to_deal'
    group by from_id
),

final as (
    select
        engagements.source_system,
        engagements.source_record_id,
        activity_types.activity_type,
        engagements.occurred_at,
        contacts.contact_id as person_source_record_id,
        deals.deal_id as opportunity_source_record_id,
        engagements.owner_id,
        engagements.is_deleted
    from engagements
    inner join activity_types on activity_types.source_type = engagements.engagement_type
    left join contacts on contacts.engagement_id = engagements.engagement_id
    left join deals on deals.engagement_id = engagements.engagement_id
)

select * from final
