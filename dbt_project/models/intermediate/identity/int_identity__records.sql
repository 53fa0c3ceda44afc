-- Every source record that stands for a person: the nodes identity resolution groups into
-- persons, and the grain of bridge_person_source_record. File-drop persons and touches carry
-- the tool's own source_system (e.g. badge_scanner). A node id is
-- `<source_system>|<record_type>|<source_record_id>`.
with crm_persons as (
    select source_system, record_type, source_record_id, is_deleted, created_at
    from {{ ref('int_crm__persons') }}
),

crm_merged_away as (
    -- Merged-away CRM records the API no longer returns, known from their survivor's list.
    select distinct links.source_system, links.record_type, links.source_record_id
    from {{ ref('int_crm__person_links') }} as links
    left join crm_persons
        on crm_persons.source_system = links.source_system
        and crm_persons.record_type = links.record_type
        and crm_persons.source_record_id = links.source_record_id
    where crm_persons.source_record_id is null
),

members as (
    select source_system, 'member' as record_type, source_record_id,
           max(case when is_deleted then 1 else 0 end) = 1 as is_deleted, min(signed_up_at) as created_at
    from {{ ref('stg_mailchimp__members') }}
    group by source_system, source_record_id
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

anonymous_ids as (
    select 'web' as source_system, 'anonymous_id' as record_type, anonymous_id as source_record_id,
           min(occurred_at) as created_at
    from web_events where anonymous_id is not null
    group by anonymous_id
),

user_ids as (
    select 'web' as source_system, 'user_id' as record_type, user_id as source_record_id,
           min(occurred_at) as created_at
    from web_events where user_id is not null
    group by user_id
),

form_fills as (
    select 'web' as source_system, 'form_fill' as record_type, event_id as source_record_id,
           occurred_at as created_at
    from web_events where event_type = 'track' and event_name = 'Form Submitted'
),

ad_clicks as (
    select source_system, 'gclid' as record_type, source_record_id,
           cast(clicked_on as {{ dbt.type_timestamp() }}) as created_at
    from {{ ref('stg_google_ads__clicks') }}
),

file_drop_persons as (
    select source_system, 'person' as record_type, source_record_id, created_at
    from {{ ref('stg_file_drop__persons') }}
),

file_drop_touches as (
    -- a touch from a tool without a connector (a badge scan) is a record of the person it names
    select source_system, 'touch' as record_type, source_record_id, occurred_at as created_at
    from {{ ref('stg_file_drop__touches') }}
),

records as (
    select source_system, record_type, source_record_id, is_deleted, false as is_merged_away, created_at
    from crm_persons
    union all
    select source_system, record_type, source_record_id, true, true, cast(null as {{ dbt.type_timestamp() }})
    from crm_merged_away
    union all
    select source_system, record_type, source_record_id, is_deleted, false, created_at from members
    union all
    select source_system, record_type, source_record_id, false, false, created_at from anonymous_ids
    union all
    select source_system, record_type, source_record_id, false, false, created_at from user_ids
    union all
    select source_system, record_type, source_record_id, false, false, created_at from form_fills
    union all
    select source_system, record_type, source_record_id, false, false, created_at from ad_clicks
    union all
    select source_system, record_type, source_record_id, false, false, created_at from file_drop_persons
    union all
    select source_system, record_type, source_record_id, false, false, created_at from file_drop_touches
),

final as (
    select
        {{ identity_node('source_system', 'record_type', 'source_record_id') }} as node_id,
        source_system,
        record_type,
        source_record_id,
        is_deleted,
        is_merged_away,
        created_at
    from records
)

select * from final
