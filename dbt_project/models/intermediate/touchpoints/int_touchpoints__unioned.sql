{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source_system', 'touched_on'],
    on_schema_change='append_new_columns'
) }}
-- Every marketing touch and every live sales activity in one shape, before persons are attached.
-- Incremental by source system and day: a run rebuilds, for each source, the days from var
-- event_lookback_days before the latest day already built from that source (sources are
-- fresh to different days) and replaces them whole, so late web events and restated sessions
-- land and an incremental run gives the rows a full refresh gives while lateness stays within
-- the lookback.
with marketing as (
    select * from {{ ref('int_touchpoints__marketing') }}
),

sales as (
    select * from {{ ref('int_crm__sales_activities') }}
    where not is_deleted
),

unioned as (
    select
        touch_type,
        touched_at,
        channel,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        team,
        source_system,
        source_record_id,
        identity_source_system,
        identity_record_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_source_record_id,
        cast(null as {{ dbt.type_string() }}) as owner_id
    from marketing
    union all
    select
        activity_type,
        occurred_at,
        'sales_outreach',
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        'sales',
        source_system,
        source_record_id,
        source_system,
        person_source_record_id,
        opportunity_source_record_id,
        owner_id
    from sales
),

{% if is_incremental() %}
built_until as (
    select source_system, max(touched_on) as latest_day from {{ this }} group by source_system
),
{% endif %}

final as (
    select
        {{ surrogate_key(['unioned.source_system', 'unioned.touch_type', 'unioned.source_record_id']) }}
            as touchpoint_id,
        unioned.*,
        cast(unioned.touched_at as date) as touched_on
    from unioned
    {% if is_incremental() %}
    left join built_until on built_until.source_system = unioned.source_system
    where built_until.latest_day is null
       or cast(unioned.touched_at as date)
          >= {{ dbt.dateadd('day', -var('event_lookback_days'), 'built_until.latest_day') }}
    {% endif %}
)

select * from final
