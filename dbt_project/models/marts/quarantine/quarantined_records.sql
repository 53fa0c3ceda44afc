-- Every record a row-level rule kept out of the marts, one row per record and rule broken, with
-- the reason and the record: CRM opportunities and ad-platform spend (int_quarantine__*) and the
-- file drop's bad rows (quarantined on arrival, the whole row kept as JSON). For data engineers
-- and the data-quality gate; not for BI (it may hold personal data as delivered).
with opportunities as (
    select * from {{ ref('int_quarantine__opportunities') }}
),

ad_spend as (
    select * from {{ ref('int_quarantine__ad_spend') }}
),

file_drop as (
    select * from {{ ref('stg_file_drop__quarantine') }}
),

unioned as (
    select source_system, source_table, source_record_id, rule, reason, offending_value,
        cast(null as {{ dbt.type_string() }}) as record, cast(null as timestamp) as quarantined_at
    from opportunities
    union all
    select source_system, source_table, source_record_id, rule, reason, offending_value,
        cast(null as {{ dbt.type_string() }}), cast(null as timestamp)
    from ad_spend
    union all
    select source_system, {{ dbt.concat(["'file_drop_'", 'entity']) }}, source_record_id, rule, reason,
        failing_columns, record, processed_at
    from file_drop
),

final as (
    select
        {{ surrogate_key(['source_system', 'source_table', 'source_record_id', 'rule']) }} as quarantine_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(rule as {{ dbt.type_string() }}) as rule,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(offending_value as {{ dbt.type_string() }}) as offending_value,
        cast(record as {{ dbt.type_string() }}) as record,
        -- when the record was found bad: the file drop's processing, else this build
        cast(coalesce(quarantined_at, cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp))
            as timestamp) as quarantined_at
    from unioned
)

select * from final
