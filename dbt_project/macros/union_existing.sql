{#- Union the given source tables that exist in the warehouse, selecting the named columns.
    Loaders create a table only when a first row arrives (e.g. HubSpot notes), so a missing
    table contributes no rows instead of failing the build. Every table is still declared as a
    source, so lineage shows them all. -#}
{% macro union_existing(source_name, table_names, columns) -%}
    {%- set selects = [] -%}
    {%- for table_name in table_names -%}
        {%- set relation = source(source_name, table_name) -%}
        {%- if execute and load_relation(relation) is not none -%}
            {%- do selects.append("select " ~ columns | join(", ") ~ " from " ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects -%}
        {{ selects | join("\nunion all\n") }}
    {%- else -%}
        select {% for column in columns %}cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ", " if not loop.last }}{% endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
