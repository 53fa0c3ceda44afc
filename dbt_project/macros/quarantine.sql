{#- The shape every int_quarantine__* model ends in: one row per record and rule broken, from a
    CTE with source_system, source_record_id, rule, reason and offending_value. -#}
{% macro quarantine_rows(violations, source_table) -%}
    select
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast('{{ source_table }}' as {{ dbt.type_string() }}) as source_table,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(rule as {{ dbt.type_string() }}) as rule,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(offending_value as {{ dbt.type_string() }}) as offending_value
    from {{ violations }}
{%- endmacro %}
