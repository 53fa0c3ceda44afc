-- Every email address a person record carries, as typed and normalized: lower case, no
-- surrounding spaces, no plus tag, no dots in the local part where the provider ignores them
-- (seed personal_email_domains). `excluded_kind` marks addresses that link nobody (seed
-- identity_excluded_emails): junk, and shared role inboxes while var
-- identity_exclude_role_addresses is true.
with web_events as (
    select * from {{ ref('stg_web__events') }} where email is not null
),

typed as (
    select {{ identity_node('source_system', 'record_type', 'source_record_id') }} as node_id, email
    from {{ ref('int_crm__persons') }}
    where email is not null
    union
    select {{ identity_node('source_system', "'member'", 'source_record_id') }}, email
    from {{ ref('stg_mailchimp__members') }}
    where email is not null
    union
    -- identify calls and form fills tie the typed address to the device...
    select {{ identity_node("'web'", "'anonymous_id'", 'anonymous_id') }}, email
    from web_events where anonymous_id is not null
    union
    -- ...to the signed-in user...
    select {{ identity_node("'web'", "'user_id'", 'user_id') }}, email
    from web_events where user_id is not null
    union
    -- ...and to the form fill itself.
    select {{ identity_node("'web'", "'form_fill'", 'event_id') }}, email
    from web_events where event_type = 'track' and event_name = 'Form Submitted'
    union
    select {{ identity_node('source_system', "'person'", 'source_record_id') }}, email
    from {{ ref('stg_file_drop__persons') }}
    where email is not null
    union
    select {{ identity_node('source_system', "'touch'", 'source_record_id') }}, email
    from {{ ref('stg_file_drop__touches') }}
    where email is not null
),

parts as (
    select
        node_id,
        email as email_as_typed,
        {{ dbt.split_part('lower(trim(email))', "'@'", 1) }} as local_part,
        {{ dbt.split_part('lower(trim(email))', "'@'", 2) }} as domain,
        -- exactly one @, something before it, a dot in the domain, no inner spaces
        (lower(trim(email)) like '_%@_%._%'
         and lower(trim(email)) not like '%@%@%'
         and lower(trim(email)) not like '% %') as is_valid
    from typed
),

dotless as (
    select domain from {{ ref('personal_email_domains') }} where ignores_dots
),

normalized as (
    select
        parts.node_id,
        parts.email_as_typed,
        parts.domain,
        parts.is_valid,
        {{ dbt.split_part('parts.local_part', "'+'", 1) }} as local_part_untagged,
        dotless.domain is not null as ignores_dots
    from parts
    left join dotless on dotless.domain = parts.domain
),

with_address as (
    select
        node_id,
        email_as_typed,
        domain,
        is_valid,
        local_part_untagged,
        case when not is_valid then null
             when ignores_dots then {{ dbt.concat(["replace(local_part_untagged, '.', '')", "'@'", 'domain']) }}
             else {{ dbt.concat(['local_part_untagged', "'@'", 'domain']) }}
        end as email_normalized
    from normalized
),

exclusions as (
    select match_on, value, kind, reason from {{ ref('identity_excluded_emails') }}
    {% if not var('identity_exclude_role_addresses') %}where kind <> 'role'{% endif %}
),

final as (
    select
        with_address.node_id,
        with_address.email_as_typed,
        with_address.email_normalized,
        with_address.domain as email_domain,
        with_address.is_valid,
        coalesce(by_address.kind, by_local_part.kind, by_domain.kind,
                 case when not with_address.is_valid then 'invalid' end) as excluded_kind,
        coalesce(by_address.reason, by_local_part.reason, by_domain.reason,
                 case when not with_address.is_valid then 'not an email address' end) as excluded_reason
    from with_address
    left join exclusions as by_address
        on by_address.match_on = 'address' and by_address.value = with_address.email_normalized
    left join exclusions as by_local_part
        on by_local_part.match_on = 'local_part' and by_local_part.value = with_address.local_part_untagged
    left join exclusions as by_domain
        on by_domain.match_on = 'domain' and by_domain.value = with_address.domain
)

select * from final
