-- One row per kind of marketing touch (plus `web_page_view`: every page view must sit in exactly
-- one session that became a touch): how many records staging holds, how many reached
-- int_touchpoints__marketing, how many staged records appear there exactly once, and how many
-- touches have no channel (`unmapped`). A data test requires `is_reconciled` on every row.
with touchpoints as (
    select * from {{ ref('int_touchpoints__marketing') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

staged_ids as (
    select 'web_page_view' as touch_type, event_id as record_id
    from web_events
    where event_type = 'page'
    union all
    select 'web_session', session_id
    from {{ ref('int_web__page_views') }}
    where is_landing_page
    union all
    select 'form_fill', event_id
    from web_events
    where event_type = 'track' and event_name = 'Form Submitted'
    union all
    select 'email_click', email_activity_id
    from {{ ref('stg_mailchimp__email_activity') }}
    where action = 'click'
    union all
    select 'file_drop_touch', file_drop_touch_id
    from {{ ref('stg_file_drop__touches') }}
),

touched_ids as (
    select touch_type, touchpoint_source_id as record_id
    from touchpoints
    union all
    select 'web_page_view', page_views.event_id
    from {{ ref('int_web__page_views') }} as page_views
    inner join touchpoints
        on touchpoints.touch_type = 'web_session'
        and touchpoints.touchpoint_source_id = page_views.session_id
),

touched_counts as (
    select touch_type, record_id, count(*) as occurrences
    from touched_ids
    group by touch_type, record_id
),

staged_summary as (
    select
        staged_ids.touch_type,
        count(*) as staged_count,
        sum(case when touched_counts.occurrences = 1 then 1 else 0 end) as matched_once_count
    from staged_ids
    left join touched_counts
        on touched_counts.touch_type = staged_ids.touch_type
        and touched_counts.record_id = staged_ids.record_id
    group by staged_ids.touch_type
),

touched_summary as (
    select touch_type, sum(occurrences) as touch_count
    from touched_counts
    group by touch_type
),

unmapped as (
    select touch_type, sum(case when channel = 'unmapped' then 1 else 0 end) as unmapped_count
    from touchpoints
    group by touch_type
),

kinds as (
    select touch_type from staged_summary
    union
    select touch_type from touched_summary
),

final as (
    select
        kinds.touch_type,
        coalesce(staged_summary.staged_count, 0) as staged_count,
        coalesce(touched_summary.touch_count, 0) as touch_count,
        coalesce(staged_summary.matched_once_count, 0) as matched_once_count,
        coalesce(unmapped.unmapped_count, 0) as unmapped_count,
        coalesce(staged_summary.staged_count, 0) = coalesce(touched_summary.touch_count, 0)
            and coalesce(staged_summary.staged_count, 0) = coalesce(staged_summary.matched_once_count, 0)
            as is_reconciled
    from kinds
    left join staged_summary on staged_summary.touch_type = kinds.touch_type
    left join touched_summary on touched_summary.touch_type = kinds.touch_type
    left join unmapped on unmapped.touch_type = kinds.touch_type
)

select * from final
