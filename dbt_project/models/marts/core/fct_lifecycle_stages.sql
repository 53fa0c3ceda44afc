-- Funnel stage entries of every resolved person, and of every account (entity_type).
-- Person rows: the stage entries of all the person's CRM records, in time order.
-- - A record's initial stage (the stage a duplicate or late record was created at) counts only
--   when it takes the person beyond the highest stage reached so far; changes always count.
-- - Regressions stay: entering a stage below the highest one reached is an entry of its own
--   (is_regression), and entry_number counts the person's entries into each stage.
-- - A stage the person skipped (a funnel stage above the one they started at, which they had not
--   entered when they first reached a later stage) is inferred, dated at that later entry.
-- Account rows: the first time any of the account's persons entered each stage (dim_person
-- gives the account); regressions are a person's, so an account enters each stage once.
-- Stages outside the funnel (stage_order 0, `other`) are left out.
with stage_events as (
    select * from {{ ref('int_crm__stage_events') }}
    where stage_order > 0
),

person_records as (
    select source_system, record_type, source_record_id, person_id
    from {{ ref('int_identity__person_records') }}
),

persons as (
    select person_id, account_id from {{ ref('dim_person') }}
),

funnel_stages as (
    select distinct stage, stage_order from {{ ref('crm_lifecycle_stage_map') }}
    where stage_order > 0
),

person_events as (
    select
        person_records.person_id,
        stage_events.source_system,
        stage_events.person_source_record_id as source_record_id,
        stage_events.stage,
        stage_events.stage_order,
        stage_events.entered_at,
        stage_events.is_initial_stage,
        max(stage_events.stage_order) over (
            partition by person_records.person_id
            order by stage_events.entered_at, stage_events.stage_order, stage_events.person_source_record_id
            rows between unbounded preceding and 1 preceding
        ) as highest_order_before
    from stage_events
    inner join person_records
        on person_records.source_system = stage_events.source_system
        and person_records.record_type = stage_events.record_type
        and person_records.source_record_id = stage_events.person_source_record_id
),

recorded_entries as (
    select person_id, source_system, source_record_id, stage, stage_order, entered_at, false as is_inferred
    from person_events
    where not is_initial_stage
        or highest_order_before is null
        or stage_order > highest_order_before
),

first_entries as (
    select person_id, min(entered_at) as first_entered_at
    from recorded_entries
    group by person_id
),

-- Every stage value at the person's first timestamp is where the person started (a record
-- created late carries what happened before it existed): only stages above those are skippable.
first_orders as (
    select recorded_entries.person_id, max(recorded_entries.stage_order) as first_stage_order
    from recorded_entries
    inner join first_entries
        on first_entries.person_id = recorded_entries.person_id
        and first_entries.first_entered_at = recorded_entries.entered_at
    group by recorded_entries.person_id
),

-- For each later funnel stage: when the person first reached a stage beyond it ...
passed_stages as (
    select
        recorded_entries.person_id,
        funnel_stages.stage,
        funnel_stages.stage_order,
        min(recorded_entries.entered_at) as passed_at
    from recorded_entries
    inner join first_orders on first_orders.person_id = recorded_entries.person_id
    inner join funnel_stages
        on funnel_stages.stage_order > first_orders.first_stage_order
        and funnel_stages.stage_order < recorded_entries.stage_order
    group by recorded_entries.person_id, funnel_stages.stage, funnel_stages.stage_order
),

-- ... and the one the passing entry came from, so an inferred row says which record implied it.
passing_entries as (
    select
        passed_stages.person_id,
        passed_stages.stage,
        passed_stages.stage_order,
        passed_stages.passed_at,
        recorded_entries.source_system,
        recorded_entries.source_record_id,
        row_number() over (
            partition by passed_stages.person_id, passed_stages.stage
            order by recorded_entries.stage_order desc, recorded_entries.source_record_id
        ) as entry_rank
    from passed_stages
    inner join recorded_entries
        on recorded_entries.person_id = passed_stages.person_id
        and recorded_entries.entered_at = passed_stages.passed_at
        and recorded_entries.stage_order > passed_stages.stage_order
),

inferred_entries as (
    select
        passing_entries.person_id,
        passing_entries.source_system,
        passing_entries.source_record_id,
        passing_entries.stage,
        passing_entries.stage_order,
        passing_entries.passed_at as entered_at,
        true as is_inferred
    from passing_entries
    left join recorded_entries as entered_before
        on entered_before.person_id = passing_entries.person_id
        and entered_before.stage = passing_entries.stage
        and entered_before.entered_at <= passing_entries.passed_at
    where passing_entries.entry_rank = 1
        and entered_before.person_id is null
),

all_person_entries as (
    select * from recorded_entries
    union all
    select * from inferred_entries
),

person_rows as (
    select
        'person' as entity_type,
        all_person_entries.person_id as entity_id,
        all_person_entries.person_id,
        persons.account_id,
        all_person_entries.stage,
        all_person_entries.stage_order,
        all_person_entries.entered_at,
        row_number() over (
            partition by all_person_entries.person_id, all_person_entries.stage
            order by all_person_entries.entered_at
        ) as entry_number,
        all_person_entries.is_inferred,
        coalesce(all_person_entries.stage_order < max(all_person_entries.stage_order) over (
            partition by all_person_entries.person_id
            order by all_person_entries.entered_at, all_person_entries.stage_order
            rows between unbounded preceding and 1 preceding
        ), false) as is_regression,
        all_person_entries.source_system,
        all_person_entries.source_record_id
    from all_person_entries
    left join persons on persons.person_id = all_person_entries.person_id
),

account_candidates as (
    select
        person_rows.*,
        row_number() over (
            partition by person_rows.account_id, person_rows.stage
            order by person_rows.entered_at, person_rows.is_inferred, person_rows.person_id
        ) as account_entry_rank
    from person_rows
    where person_rows.account_id is not null
),

account_rows as (
    select
        'account' as entity_type,
        account_id as entity_id,
        cast(null as {{ dbt.type_string() }}) as person_id,
        account_id,
        stage,
        stage_order,
        entered_at,
        1 as entry_number,
        is_inferred,
        false as is_regression,
        source_system,
        source_record_id
    from account_candidates
    where account_entry_rank = 1
),

unioned as (
    select * from person_rows
    union all
    select * from account_rows
),

final as (
    select
        {{ surrogate_key(['entity_type', 'entity_id', 'stage', 'entry_number']) }} as lifecycle_stage_entry_id,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_order as integer) as stage_order,
        cast(entered_at as timestamp) as entered_at,
        cast(entry_number as integer) as entry_number,
        entry_number > 1 as is_reentry,
        is_regression,
        is_inferred,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id
    from unioned
)

select * from final
