-- Quarantined records per run, source table and rule (plus `any_rule`, every record any rule
-- kept out), against the records the table delivered: the quarantine rate, and whether it is
-- above var dq_max_quarantine_rate (the data-quality gate fails when it is). Appended on every
-- run (run_id = the dbt invocation), so the history of each rule stays.
{{ config(materialized='incremental', incremental_strategy='append') }}

with quarantined as (
    select * from {{ ref('quarantined_records') }}
),

checked as (
    -- the records each source table delivered (what the rules looked at)
    select 'opportunities' as source_table, count(*) as checked_rows from {{ ref('int_crm__opportunities') }}
    union all
    select 'ad_spend', count(*) from {{ ref('int_ad_spend__daily') }}
    union all
    select {{ dbt.concat(["'file_drop_'", 'entity']) }}, sum(rows_read)
    from {{ ref('stg_file_drop__file_log') }}
    group by entity
),

per_rule as (
    select source_table, rule, count(distinct source_record_id) as quarantined_rows
    from quarantined
    group by source_table, rule
    union all
    select source_table, 'any_rule', count(distinct source_record_id)
    from quarantined
    group by source_table
),

counted as (
    -- every source table appears (any_rule with 0 when nothing was quarantined)
    select checked.source_table, coalesce(per_rule.rule, 'any_rule') as rule,
        coalesce(per_rule.quarantined_rows, 0) as quarantined_rows, checked.checked_rows
    from checked
    left join per_rule on per_rule.source_table = checked.source_table
),

final as (
    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(rule as {{ dbt.type_string() }}) as rule,
        cast(quarantined_rows as bigint) as quarantined_rows,
        cast(checked_rows as bigint) as checked_rows,
        cast({{ safe_divide('quarantined_rows', 'checked_rows') }} as double precision) as quarantine_rate,
        cast({{ var('dq_max_quarantine_rate') }} as double precision) as max_quarantine_rate,
        coalesce({{ safe_divide('quarantined_rows', 'checked_rows') }} > {{ var('dq_max_quarantine_rate') }}, false)
            as exceeds_max_rate
    from counted
)

select * from final
