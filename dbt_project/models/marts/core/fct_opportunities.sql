-- Opportunities that break a row-level rule are left out; they are in quarantine.quarantined_records.
with quarantined as (
    select distinct source_system, source_record_id from {{ ref('int_quarantine__opportunities') }}
),

opportunities as (
    select crm_opportunities.*
    from {{ ref('int_crm__opportunities') }} as crm_opportunities
    left join quarantined
        on quarantined.source_system = crm_opportunities.source_system
        and quarantined.source_record_id = crm_opportunities.source_record_id
    where quarantined.source_record_id is null
),

stage_history as (
    select * from {{ ref('int_crm__opportunity_stage_history') }}
),

accounts as (
    select source_system, source_record_id, account_id from {{ ref('bridge_account_source_record') }}
),

-- When the deal first entered each pipeline stage (null when it skipped or has not reached it),
-- and the pipeline stage it is in now.
stage_dates as (
    select
        source_system,
        opportunity_source_record_id,
        min(case when pipeline_stage = 'discovery' then entered_at end) as discovery_entered_at,
        min(case when pipeline_stage = 'qualification' then entered_at end) as qualification_entered_at,
        min(case when pipeline_stage = 'solution' then entered_at end) as solution_entered_at,
        min(case when pipeline_stage = 'proposal' then entered_at end) as proposal_entered_at,
        min(case when pipeline_stage = 'negotiation' then entered_at end) as negotiation_entered_at,
        max(case when is_current then pipeline_stage end) as pipeline_stage,
        count(*) as stages_entered
    from stage_history
    group by source_system, opportunity_source_record_id
),

fx as (
    select * from {{ ref('int_fx__rates') }}
),

account_segments as (
    select account_id, segment from {{ ref('dim_account') }}
),

-- Who started the buying cycle: the account's touches in the var pipeline_sourcing_window_days
-- before the deal's creation (docs/kpis.md, pipeline sourcing).
creation_touches as (
    select
        opportunities.source_system,
        opportunities.source_record_id,
        touchpoints.team,
        touchpoints.channel,
        row_number() over (
            partition by opportunities.source_system, opportunities.source_record_id
            order by touchpoints.touched_at, touchpoints.touchpoint_id
        ) as touch_rank
    from opportunities
    inner join accounts
        on accounts.source_system = opportunities.source_system
        and accounts.source_record_id = opportunities.account_source_record_id
    inner join {{ ref('fct_touchpoints') }} as touchpoints
        on touchpoints.account_id = accounts.account_id
        and touchpoints.touched_at <= opportunities.created_at
        and touchpoints.touched_at >= {{ dbt.dateadd('day', -1 * var('pipeline_sourcing_window_days'), 'opportunities.created_at') }}
),

sourcing as (
    select
        source_system,
        source_record_id,
        max(case when touch_rank = 1 then team end) as first_touch_team,
        max(case when touch_rank = 1 then channel end) as first_touch_channel,
        max(case when team = 'marketing' then 1 else 0 end) as has_marketing_touch
    from creation_touches
    group by source_system, source_record_id
),

reporting_fx as (
    select valid_from, valid_to, units_per_usd
    from fx where currency = '{{ var("reporting_currency") }}'
),

final as (
    select
        {{ surrogate_key(['opportunities.source_system', 'opportunities.source_record_id']) }} as opportunity_id,
        accounts.account_id,
        opportunities.opportunity_type,
        opportunities.opportunity_name,
        opportunities.deal_stage,
        stage_dates.pipeline_stage,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.lost_reason,
        opportunities.amount,
        opportunities.currency,
        -- Converted at the rate in force when the deal was created; money is never summed across currencies.
        cast(opportunities.amount / deal_fx.units_per_usd * reporting_fx.units_per_usd as {{ dbt.type_numeric() }})
            as amount_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        coalesce(account_segments.segment, 'unknown') as segment,
        -- marketing-sourced: new business whose first touch in the sourcing window was marketing's
        case when opportunities.opportunity_type = 'newbusiness' and sourcing.first_touch_team = 'marketing'
             then 'marketing' else 'sales'
        end as sourced_by,
        coalesce(sourcing.has_marketing_touch = 1, false) as is_marketing_influenced,
        coalesce(sourcing.first_touch_channel, 'no_touch') as source_channel,
        opportunities.owner_id,
        opportunities.is_deleted,
        opportunities.source_system,
        opportunities.source_record_id,
        stage_dates.discovery_entered_at,
        stage_dates.qualification_entered_at,
        stage_dates.solution_entered_at,
        stage_dates.proposal_entered_at,
        stage_dates.negotiation_entered_at,
        cast(coalesce(stage_dates.stages_entered, 0) as integer) as stages_entered,
        -- Sales cycle in calendar days (UTC) from creation to close; null while open.
        case when opportunities.closed_at is not null
             then cast({{ dbt.datediff('cast(opportunities.created_at as date)', 'cast(opportunities.closed_at as date)', 'day') }} as integer)
        end as cycle_days
    from opportunities
    left join accounts
        on accounts.source_system = opportunities.source_system
        and accounts.source_record_id = opportunities.account_source_record_id
    left join fx as deal_fx
        on deal_fx.currency = opportunities.currency
        and cast(opportunities.created_at as date) >= deal_fx.valid_from
        and cast(opportunities.created_at as date) < deal_fx.valid_to
    left join reporting_fx
        on cast(opportunities.created_at as date) >= reporting_fx.valid_from
        and cast(opportunities.created_at as date) < reporting_fx.valid_to
    left join stage_dates
        on stage_dates.source_system = opportunities.source_system
        and stage_dates.opportunity_source_record_id = opportunities.source_record_id
    left join account_segments on account_segments.account_id = accounts.account_id
    left join sourcing
        on sourcing.source_system = opportunities.source_system
        and sourcing.source_record_id = opportunities.source_record_id
)

select * from final
