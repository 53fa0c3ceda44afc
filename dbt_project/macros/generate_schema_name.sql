{#- Layer schemas keep their plain names (staging, core, kpi) instead of <target>_<name>,
    so BI tools and the raw_* schemas the loaders write sit side by side. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
