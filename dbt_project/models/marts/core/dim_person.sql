-- One row per resolved person (identity resolution over every source's person records).
with person_records as (
    select * from {{ ref('int_identity__person_records') }}
),

crm_persons as (
    select * from {{ ref('int_crm__persons') }}
),

stage_order as (
    select distinct stage, stage_order from {{ ref('crm_lifecycle_stage_map') }}
),

crm_current as (
    -- the person's most advanced live CRM record gives its current stage, owner and name
    select
        person_records.person_id,
        crm_persons.lifecycle_stage,
        crm_persons.owner_id,
        crm_persons.first_name,
        crm_persons.last_name,
        row_number() over (
            partition by person_records.person_id
            order by coalesce(stage_order.stage_order, -1) desc, crm_persons.created_at, crm_persons.source_record_id
        ) as record_rank
    from person_records
    inner join crm_persons
        on crm_persons.source_system = person_records.source_system
        and crm_persons.record_type = person_records.record_type
        and crm_persons.source_record_id = person_records.source_record_id
    left join stage_order on stage_order.stage = crm_persons.lifecycle_stage
    where not crm_persons.is_deleted
),

primary_email as (
    select * from {{ ref('int_identity__person_emails') }} where email_rank = 1
),

first_touches as (
    -- the person's earliest touchpoint, from the touches before persons are attached
    select person_id, touched_at, touch_type, channel, campaign_id from (
        select
            person_records.person_id,
            touches.touched_at,
            touches.touch_type,
            touches.channel,
            touches.campaign_id,
            row_number() over (
                partition by person_records.person_id order by touches.touched_at, touches.touchpoint_id
            ) as touch_rank
        from {{ ref('int_touchpoints__unioned') }} as touches
        inner join person_records
            on person_records.source_system = touches.identity_source_system
            and person_records.source_record_id = touches.identity_record_id
    ) as ranked
    where touch_rank = 1
),

record_summary as (
    select
        person_id,
        count(*) as source_records_count,
        count(case when record_type in ('contact', 'lead') then 1 end) as crm_records_count,
        count(case when record_type = 'member' then 1 end) as email_platform_records_count,
        count(case when record_type in ('anonymous_id', 'user_id') then 1 end) as web_identities_count,
        -- deleted only when every record of the person was deleted
        max(case when is_deleted then 0 else 1 end) = 0 as is_deleted,
        min(created_at) as first_seen_at
    from person_records
    group by person_id
),

final as (
    select
        record_summary.person_id,
        person_accounts.account_id,
        person_accounts.matched_by as account_matched_by,
        {{ dbt.hash('primary_email.email_normalized') }} as email_hash,
        coalesce(primary_email.emails_count, 0) as emails_count,
        coalesce(
            crm_current.lifecycle_stage,
            case when record_summary.email_platform_records_count > 0 then 'subscriber' end,
            'visitor'
        ) as lifecycle_stage,
        crm_current.owner_id,
        -- initials only: clear names live in restricted.person_pii
        case when crm_current.first_name is not null or crm_current.last_name is not null then
            {{ dbt.concat(["coalesce(upper(substring(crm_current.first_name, 1, 1)) || '. ', '')",
                           "coalesce(upper(substring(crm_current.last_name, 1, 1)) || '.', '')"]) }}
        end as name_masked,
        first_touches.touched_at as first_touch_at,
        first_touches.touch_type as first_touch_type,
        first_touches.channel as first_touch_channel,
        first_touches.campaign_id as first_touch_campaign_id,
        record_summary.source_records_count,
        record_summary.crm_records_count,
        record_summary.email_platform_records_count,
        record_summary.web_identities_count,
        primary_email.email_normalized is null and record_summary.crm_records_count = 0
            and record_summary.email_platform_records_count = 0 as is_anonymous,
        record_summary.is_deleted,
        record_summary.first_seen_at
    from record_summary
    left join {{ ref("int_identity__person_accounts") }} as person_accounts on person_accounts.person_id = record_summary.person_id
    left join primary_email on primary_email.person_id = record_summary.person_id
    left join crm_current on crm_current.person_id = record_summary.person_id and crm_current.record_rank = 1
    left join first_touches on first_touches.person_id = record_summary.person_id
)

select * from final
