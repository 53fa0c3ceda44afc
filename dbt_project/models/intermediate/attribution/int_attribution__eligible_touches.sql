-- One row per conversion and touch that may earn credit for it, with touched_at in
-- [converted_at - attribution_lookback_days, converted_at], both ends included (a touch after the
-- conversion never counts, one at its very instant does):
-- - account-level conversions: a touch of any person of the opportunity's account (the buying
--   committee); a conversion without account has no touches;
-- - person-level conversions: a touch of a person on the opportunity (its CRM contacts).
-- Marketing touches only, unless var attribution_include_sales_touches.
-- Position in the window: touches are ordered by touched_at, ties in time by touchpoint_id.
-- Key touches of the W-shaped model (ranks within the window):
-- - lead creation: the last touch at or before the conversion's lead-creation moment (taken no
--   later than the opportunity's creation);
-- - opportunity creation: the last touch at or before the opportunity's created_at (for an
--   opportunity_created conversion, the last touch);
-- when no touch of the window comes at or before that moment (it happened before the window
-- opened, or no person has a lead entry), the window's first touch stands for it.
{%- set include_sales = var('attribution_include_sales_touches') | string | lower in ['true', '1', 'yes'] %}
{%- set lookback_days = var('attribution_lookback_days') | int %}
{#- a touch in the conversion's window: at most lookback days before it, never after it -#}
{%- set in_window -%}
        touchpoints.touched_at <= conversions.converted_at
        and touchpoints.touched_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'conversions.converted_at') }}
{%- endset %}

with conversions as (
    select conversion_id, conversion_level, opportunity_id, account_id, converted_at, opportunity_created_at,
        lead_created_at
    from {{ ref('int_attribution__conversions') }}
),

opportunity_persons as (
    select opportunity_id, person_id from {{ ref('int_attribution__opportunity_persons') }}
),

touchpoints as (
    select touchpoint_id, person_id, account_id, touched_at, touch_type, channel, campaign_id, team
    from {{ ref('fct_touchpoints') }}
    where person_id is not null
    {%- if not include_sales %}
        and team = 'marketing'
    {%- endif %}
),

account_touches as (
    select conversions.*, touchpoints.touchpoint_id, touchpoints.person_id, touchpoints.touched_at,
        touchpoints.touch_type, touchpoints.channel, touchpoints.campaign_id, touchpoints.team
    from conversions
    inner join touchpoints
        on touchpoints.account_id = conversions.account_id
        and {{ in_window }}
    where conversions.conversion_level = 'account'
),

person_touches as (
    select conversions.*, touchpoints.touchpoint_id, touchpoints.person_id, touchpoints.touched_at,
        touchpoints.touch_type, touchpoints.channel, touchpoints.campaign_id, touchpoints.team
    from conversions
    inner join opportunity_persons on opportunity_persons.opportunity_id = conversions.opportunity_id
    inner join touchpoints
        on touchpoints.person_id = opportunity_persons.person_id
        and {{ in_window }}
    where conversions.conversion_level = 'person'
),

candidate_touches as (
    select * from account_touches
    union all
    select * from person_touches
),

windowed as (
    select
        conversion_id,
        converted_at,
        opportunity_created_at,
        -- the lead-creation moment, no later than the opportunity's creation
        case when lead_created_at > opportunity_created_at then opportunity_created_at else lead_created_at
        end as lead_moment,
        touchpoint_id,
        person_id,
        touched_at,
        touch_type,
        channel,
        campaign_id,
        team,
        row_number() over (partition by conversion_id order by touched_at, touchpoint_id) as touch_rank,
        count(*) over (partition by conversion_id) as touches_count
    from candidate_touches
),

key_touches as (
    select
        windowed.*,
        coalesce(max(case when touched_at <= lead_moment then touch_rank end)
            over (partition by conversion_id), 1) as lead_creation_touch_rank,
        coalesce(max(case when touched_at <= opportunity_created_at then touch_rank end)
            over (partition by conversion_id), 1) as opportunity_creation_touch_rank
    from windowed
),

final as (
    select
        conversion_id,
        touchpoint_id,
        person_id,
        touched_at,
        touch_type,
        channel,
        campaign_id,
        team,
        cast(touch_rank as integer) as touch_rank,
        cast(touches_count as integer) as touches_count,
        cast(lead_creation_touch_rank as integer) as lead_creation_touch_rank,
        cast(opportunity_creation_touch_rank as integer) as opportunity_creation_touch_rank,
        cast({{ dbt.datediff('touched_at', 'converted_at', 'second') }} as double precision) / 86400
            as days_before_conversion
    from key_touches
)

select * from final
