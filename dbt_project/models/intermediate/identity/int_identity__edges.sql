-- The identity graph's edges: a record and an address it carries, two records one event ties
-- together (a device and the signed-in user, the ad click or email recipient in a landing URL, a
-- form fill and its device), and CRM records the CRM itself merged or converted. Excluded
-- addresses and oversized identifiers (int_identity__oversized_identifiers) contribute no edge.
with record_emails as (
    select node_id, email_normalized from {{ ref('int_identity__record_emails') }}
    where excluded_kind is null
),

web_events as (
    select * from {{ ref('stg_web__events') }} where anonymous_id is not null
),

members as (
    select distinct source_record_id, unique_email_id from {{ ref('stg_mailchimp__members') }}
    where unique_email_id is not null
),

file_drop_touches as (
    select * from {{ ref('stg_file_drop__touches') }}
),

crm_links as (
    select * from {{ ref('int_crm__person_links') }}
),

edges as (
    select distinct node_id as node_a, {{ dbt.concat(["'email|'", 'email_normalized']) }} as node_b,
           'carries_email' as edge_type
    from record_emails
    union all
    select distinct {{ identity_node("'web'", "'anonymous_id'", 'anonymous_id') }},
           {{ identity_node("'web'", "'user_id'", 'user_id') }}, 'device_signed_in_as'
    from web_events where user_id is not null
    union all
    select distinct {{ identity_node("'web'", "'anonymous_id'", 'anonymous_id') }},
           {{ identity_node("'google_ads'", "'gclid'", 'gclid') }}, 'landed_from_ad_click'
    from web_events where gclid is not null
    union all
    select distinct {{ identity_node("'web'", "'anonymous_id'", 'web_events.anonymous_id') }},
           {{ identity_node("'mailchimp'", "'member'", 'members.source_record_id') }}, 'landed_from_email_click'
    from web_events
    inner join members on members.unique_email_id = web_events.mailchimp_unique_email_id
    union all
    select {{ identity_node("'web'", "'form_fill'", 'event_id') }},
           {{ identity_node("'web'", "'anonymous_id'", 'anonymous_id') }}, 'form_filled_on_device'
    from web_events where event_type = 'track' and event_name = 'Form Submitted'
    union all
    select distinct {{ identity_node('source_system', 'record_type', 'source_record_id') }},
           {{ identity_node('source_system', 'linked_record_type', 'linked_source_record_id') }}, link_type
    from crm_links
    union all
    -- a file-drop touch names its person by the tool's person_id and/or the web anonymous id
    select {{ identity_node('source_system', "'touch'", 'source_record_id') }},
           {{ identity_node('source_system', "'person'", 'person_id') }}, 'touch_of_person'
    from file_drop_touches where person_id is not null
    union all
    select {{ identity_node('source_system', "'touch'", 'source_record_id') }},
           {{ identity_node("'web'", "'anonymous_id'", 'anonymous_id') }}, 'touch_on_device'
    from file_drop_touches where anonymous_id is not null
),

oversized as (
    select node_id from {{ ref('int_identity__oversized_identifiers') }}
),

final as (
    select edges.node_a, edges.node_b, edges.edge_type
    from edges
    left join oversized as oversized_a on oversized_a.node_id = edges.node_a
    left join oversized as oversized_b on oversized_b.node_id = edges.node_b
    where oversized_a.node_id is null and oversized_b.node_id is null
)

select * from final
