{#- The value of a query-string parameter in a URL (e.g. gclid, utm_source), or null. -#}
{% macro url_parameter(url, name) -%}
    {{ return(adapter.dispatch('url_parameter', 'revenue_warehouse')(url, name)) }}
{%- endmacro %}

{% macro default__url_parameter(url, name) -%}
    nullif(regexp_extract({{ url }}, '[?&]{{ name }}=([^&#]*)', 1), '')
{%- endmacro %}

{% macro postgres__url_parameter(url, name) -%}
    nullif(substring({{ url }} from '[?&]{{ name }}=([^&#]*)'), '')
{%- endmacro %}
