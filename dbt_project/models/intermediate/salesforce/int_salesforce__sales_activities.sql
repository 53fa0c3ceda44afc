-- Salesforce calls and emails (Tasks, by TaskSubtype) and meetings (Events) in the CRM-neutral
-- shape of int_crm__sales_activities. WhoId is the lead or contact the activity is about (the
-- contact once a lead converts: Salesforce moves activities on conversion); WhatId counts as the
-- opportunity only when it is one (key prefix 006), not an account.
with tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
),

activity_types as (
    select source_type, activity_type from {{ ref('crm_activity_type_map') }} where crm = 'salesforce'
),

activities as (
    select source_system, source_record_id, task_subtype as source_type, created_at as occurred_at,
           who_id, what_id, owner_id, is_deleted
    from tasks
    union all
    select source_system, source_record_id, 'Event' as source_type, coalesce(started_at, created_at) as occurred_at,
           who_id, what_id, owner_id, is_deleted
    from events
),

final as (
    select
        activities.source_system,
        activities.source_record_id,
        activity_types.activity_type,
        activities.occurred_at,
        activities.who_id as person_source_record_id,
        case when activities.what_id like '006%' then activities.what_id end as opportunity_source_record_id,
        activities.owner_id,
        activities.is_deleted
    from activities
    inner join activity_types on activity_types.source_type = activities.source_type
)

select * from final
