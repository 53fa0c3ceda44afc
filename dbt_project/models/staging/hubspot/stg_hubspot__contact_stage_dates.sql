{#- HubSpot keeps on every contact the date it last entered each lifecycle stage, one property per
    stage named after the stage id (hs_v2_date_entered_<stage id>; custom stages by number). The
    properties present are read from the loaded table, so a new custom stage needs no change here. -#}
{%- set prefix = 'properties__hs_v2_date_entered_' -%}
{%- set stage_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(source('hubspot', 'contacts')) -%}
        {%- if column.name.lower().startswith(prefix) -%}{%- do stage_columns.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
{%- endif -%}

with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('hubspot', 'contacts')) }}
),

renamed as (
    {%- for column in stage_columns %}
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as contact_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,

        -- strings
        '{{ column[prefix | length:] }}' as lifecycle_stage,

        -- booleans
        coalesce(archived, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp(column) }} as last_entered_at
    from source
    where {{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as contact_id,
        'hubspot' as source_system,
        cast(null as {{ dbt.type_string() }}) as source_record_id,
        cast(null as {{ dbt.type_string() }}) as lifecycle_stage,
        false as is_deleted,
        cast(null as timestamp) as last_entered_at
    where 1 = 0
    {%- endfor %}
)

select * from renamed
