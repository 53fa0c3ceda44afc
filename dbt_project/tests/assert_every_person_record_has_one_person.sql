{{ config(meta={"dagster": {"ref": {"name": "bridge_person_source_record"}}}) }}
-- Every person record the staging layer holds appears in the bridge exactly once: fails with
-- the record types whose counts differ (staged distinct ids vs bridged rows).
with staged as (
    select 'member' as record_type, count(distinct source_record_id) as records
    from {{ ref('stg_mailchimp__members') }}
    union all
    select 'anonymous_id', count(distinct anonymous_id) from {{ ref('stg_web__events') }}
    union all
    select 'user_id', count(distinct user_id) from {{ ref('stg_web__events') }}
    union all
    select 'form_fill', count(*) from {{ ref('stg_web__events') }}
    where event_type = 'track' and event_name = 'Form Submitted'
    union all
    select 'gclid', count(distinct gclid) from {{ ref('stg_google_ads__clicks') }}
    union all
    select record_type, count(distinct source_record_id) from {{ ref('int_crm__persons') }}
    group by record_type
    union all
    select 'person', count(*) from {{ ref('stg_file_drop__persons') }}
    union all
    select 'touch', count(*) from {{ ref('stg_file_drop__touches') }}
),

bridged as (
    select record_type, count(*) as records, count(distinct source_record_id) as distinct_records
    from {{ ref('bridge_person_source_record') }}
    where not is_merged_away
    group by record_type
)

select staged.record_type, staged.records as staged_records, bridged.records as bridged_records
from staged
left join bridged on bridged.record_type = staged.record_type
where staged.records > 0
  and (bridged.records is null or bridged.records <> staged.records or bridged.distinct_records <> bridged.records)
