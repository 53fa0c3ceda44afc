-- One row per form fill (a `Form Submitted` track event), with the web session it happened in:
-- the visitor's latest session that started before the form was sent and had a page view
-- within `web_session_timeout_minutes` before it. A form fill takes its session's channel and
-- campaign; one without such a session (its pages not received yet) is `direct`.
with form_events as (
    select * from {{ ref('stg_web__events') }}
    where event_type = 'track' and event_name = 'Form Submitted'
),

sessions as (
    select * from {{ ref('int_web__sessions') }}
),

candidate_sessions as (
    select
        form_events.event_id,
        sessions.session_id,
        row_number() over (
            partition by form_events.event_id order by sessions.started_at desc, sessions.session_id desc
        ) as session_rank
    from form_events
    inner join sessions
        on sessions.visitor_id = coalesce(form_events.anonymous_id, form_events.user_id)
        and sessions.started_at <= form_events.occurred_at
        and {{ dbt.dateadd('minute', var('web_session_timeout_minutes'), 'sessions.ended_at') }}
            >= form_events.occurred_at
),

final as (
    select
        form_events.event_id,
        form_events.source_system,
        form_events.source_record_id,
        coalesce(form_events.anonymous_id, form_events.user_id) as visitor_id,
        form_events.anonymous_id,
        form_events.user_id,
        form_events.form_id,
        form_events.form_type,
        form_events.email,
        form_events.page_path,
        form_events.occurred_at,
        sessions.session_id,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.referrer_host,
        sessions.gclid,
        coalesce(sessions.channel, 'direct') as channel,
        sessions.channel_rule_priority,
        sessions.campaign_id
    from form_events
    left join candidate_sessions
        on candidate_sessions.event_id = form_events.event_id
        and candidate_sessions.session_rank = 1
    left join sessions on sessions.session_id = candidate_sessions.session_id
)

select * from final
