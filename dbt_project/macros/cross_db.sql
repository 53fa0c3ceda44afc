{#- Small portable helpers; engines that spell these differently get their own dispatch. -#}

{#- An ISO 8601 string (with Z or an offset) as a UTC timestamp without time zone. -#}
{% macro utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'revenue_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__utc_timestamp(expr) -%}
    cast(cast({{ expr }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- A stable text key from several columns (null kept apart from any text value). -#}
{% macro surrogate_key(columns) -%}
    {{ dbt.hash(dbt.concat(surrogate_key_parts(columns))) }}
{%- endmacro %}

{% macro surrogate_key_parts(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- A lower-cased, trimmed email's hash: what BI-facing marts carry instead of the address. -#}
{% macro email_hash(expr) -%}
    case when {{ expr }} is null or trim({{ expr }}) = '' then null
         else {{ dbt.hash("lower(trim(" ~ expr ~ "))") }} end
{%- endmacro %}

{#- In an incremental model: the first day a run rebuilds, var event_lookback_days before the
    latest day already built (late events land in the days they happened). A table built before
    it had the day column is rebuilt from the start. -#}
{% macro incremental_first_day(day_column) -%}
    {#- in a unit test `this` is the name of the given rows, which hold the column -#}
    {%- if this is string -%}
        {%- set built_columns = [day_column | lower] -%}
    {%- else -%}
        {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- endif -%}
    {%- if day_column | lower in built_columns -%}
    (select {{ dbt.dateadd('day', -var('event_lookback_days'), 'max(' ~ day_column ~ ')') }} from {{ this }})
    {%- else -%}
    cast('1900-01-01' as date)
    {%- endif -%}
{%- endmacro %}

{#- The continuous percentile (0.5 = median) of an expression, an aggregate. -#}
{% macro percentile(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'revenue_warehouse')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{#- A ratio that is null, not an error, when the divisor is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0)
{%- endmacro %}
