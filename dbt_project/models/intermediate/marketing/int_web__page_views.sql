-- One row per web page view, with the session it belongs to. A visitor (the anonymous id, or the
-- user id when there is none) starts a new session on the first page, after
-- `web_session_timeout_minutes` without a page view, on a page that carries campaign tags or a
-- click id other than the previous page's (a new ad or email click), and on arriving from
-- another site. A session's id is its first page view's event id.
-- Incremental: a run rebuilds the page views of the days from var event_lookback_days before the
-- latest day built (replacing them by event id, so late events join and sessions are recut),
-- reading one day more so a session running over midnight keeps its first page.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='append_new_columns'
) }}
with page_events as (
    select * from {{ ref('stg_web__events') }}
    where event_type = 'page'
    {% if is_incremental() %}
      and cast(occurred_at as date) >= {{ dbt.dateadd('day', -1, incremental_first_day('occurred_on')) }}
    {% endif %}
),

visits as (
    select
        event_id,
        coalesce(anonymous_id, user_id) as visitor_id,
        anonymous_id,
        user_id,
        occurred_at,
        page_url,
        page_path,
        referrer,
        {{ url_host('referrer') }} as referrer_host,
        {{ url_host('page_url') }} as page_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        fbclid,
        li_fat_id,
        mailchimp_campaign_id,
        mailchimp_unique_email_id,
        case
            when coalesce(utm_source, utm_medium, utm_campaign, gclid, fbclid, li_fat_id,
                          mailchimp_campaign_id, mailchimp_unique_email_id) is not null
                then {{ surrogate_key(['utm_source', 'utm_medium', 'utm_campaign', 'gclid', 'fbclid', 'li_fat_id',
                                       'mailchimp_campaign_id', 'mailchimp_unique_email_id']) }}
        end as campaign_signature
    from page_events
    where coalesce(anonymous_id, user_id) is not null
),

with_previous as (
    select
        *,
        lag(occurred_at) over (partition by visitor_id order by occurred_at, event_id) as previous_occurred_at,
        lag(campaign_signature) over (partition by visitor_id order by occurred_at, event_id) as previous_signature
    from visits
),

flagged as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when {{ dbt.datediff('previous_occurred_at', 'occurred_at', 'second') }}
                 > {{ var('web_session_timeout_minutes') }} * 60 then 1
            when campaign_signature is not null
                 and campaign_signature <> coalesce(previous_signature, '') then 1
            when referrer_host is not null and referrer_host <> coalesce(page_host, '') then 1
            else 0
        end as is_session_start
    from with_previous
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by visitor_id order by occurred_at, event_id rows between unbounded preceding and current row
        ) as session_number
    from flagged
),

sessioned as (
    -- before the incremental filter below: a session that started on the extra day read keeps
    -- its first page's id (a WHERE clause filters rows before the window functions of its SELECT)
    select
        *,
        first_value(event_id) over (
            partition by visitor_id, session_number order by occurred_at, event_id
            rows between unbounded preceding and unbounded following
        ) as session_id
    from numbered
),

final as (
    select
        event_id,
        session_id,
        visitor_id,
        anonymous_id,
        user_id,
        is_session_start = 1 as is_landing_page,
        occurred_at,
        page_url,
        page_path,
        referrer,
        -- only a referrer from another site says where the visit came from
        case when referrer_host <> coalesce(page_host, '') then referrer_host end as referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        fbclid,
        li_fat_id,
        mailchimp_campaign_id,
        mailchimp_unique_email_id,
        cast(occurred_at as date) as occurred_on
    from sessioned
    {% if is_incremental() %}
    where cast(occurred_at as date) >= {{ incremental_first_day('occurred_on') }}
    {% endif %}
)

select * from final
