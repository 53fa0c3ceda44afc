-- One row per touchpoint (marketing touch or sales activity), with the resolved person and
-- account, ordered per person, and where it fell in the person's funnel.
with touches as (
    select * from {{ ref('int_touchpoints__unioned') }}
),

bridge as (
    select source_system, source_record_id, person_id from {{ ref('bridge_person_source_record') }}
),

persons as (
    select person_id, account_id from {{ ref('dim_person') }}
),

stages as (
    -- the first time each person entered each stage
    select
        person_id,
        min(case when stage = 'lead' then entered_at end) as lead_at,
        min(case when stage = 'mql' then entered_at end) as mql_at,
        min(case when stage = 'sql' then entered_at end) as sql_at,
        min(case when stage = 'opportunity' then entered_at end) as opportunity_at,
        min(case when stage = 'customer' then entered_at end) as customer_at
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
    group by person_id
),

stage_entries as (
    select person_id, stage, stage_order, entered_at
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
),

resolved as (
    select
        touches.*,
        bridge.person_id,
        persons.account_id
    from touches
    left join bridge
        on bridge.source_system = touches.identity_source_system
        and bridge.source_record_id = touches.identity_record_id
    left join persons on persons.person_id = bridge.person_id
),

stage_at_touch as (
    -- the stage the person had most recently entered when the touch happened
    select touchpoint_id, stage from (
        select
            resolved.touchpoint_id,
            stage_entries.stage,
            row_number() over (
                partition by resolved.touchpoint_id
                order by stage_entries.entered_at desc, stage_entries.stage_order desc
            ) as entry_rank
        from resolved
        inner join stage_entries
            on stage_entries.person_id = resolved.person_id
            and stage_entries.entered_at <= resolved.touched_at
    ) as ranked
    where entry_rank = 1
),

final as (
    select
        resolved.touchpoint_id,
        resolved.person_id,
        resolved.account_id,
        resolved.touched_at,
        resolved.touch_type,
        resolved.channel,
        resolved.campaign_id,
        resolved.team,
        resolved.utm_source,
        resolved.utm_medium,
        resolved.utm_campaign,
        case when resolved.opportunity_source_record_id is not null
             then {{ surrogate_key(['resolved.source_system', 'resolved.opportunity_source_record_id']) }}
        end as opportunity_id,
        resolved.owner_id,
        case when resolved.person_id is not null then row_number() over (
            partition by resolved.person_id order by resolved.touched_at, resolved.touchpoint_id
        ) end as touch_sequence,
        coalesce(stage_at_touch.stage, 'none') as stage_at_touch,
        -- true before the person first entered the stage, false after, null if it never did
        case when stages.lead_at is not null then resolved.touched_at < stages.lead_at end as is_before_lead,
        case when stages.mql_at is not null then resolved.touched_at < stages.mql_at end as is_before_mql,
        case when stages.sql_at is not null then resolved.touched_at < stages.sql_at end as is_before_sql,
        case when stages.opportunity_at is not null then resolved.touched_at < stages.opportunity_at end
            as is_before_opportunity,
        case when stages.customer_at is not null then resolved.touched_at < stages.customer_at end
            as is_before_customer,
        resolved.source_system,
        resolved.source_record_id
    from resolved
    left join stage_at_touch on stage_at_touch.touchpoint_id = resolved.touchpoint_id
    left join stages on stages.person_id = resolved.person_id
)

select * from final
