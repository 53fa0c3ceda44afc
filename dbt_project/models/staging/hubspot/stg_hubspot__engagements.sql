{#- Calls, meetings and sales emails are separate HubSpot objects with the same shape; a table the
    loader has not created yet (no rows so far) contributes none. -#}
{%- set engagement_tables = ['calls', 'meetings', 'emails'] -%}
{%- set engagement_columns = ['id', 'type', 'archived', 'archived_at', 'created_at', 'updated_at',
                              'properties__hs_timestamp', 'properties__hubspot_owner_id',
                              'properties__hs_direction', 'properties__hs_meeting_outcome', '_dlt_load_id'] -%}
{%- set engagements -%}
    ({{ union_existing('hubspot', engagement_tables, engagement_columns) }}) as engagements
{%- endset -%}

with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(engagements) }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as engagement_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(properties__hubspot_owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        upper(type) as engagement_type,
        properties__hs_direction as direction,
        properties__hs_meeting_outcome as meeting_outcome,

        -- booleans
        coalesce(cast(archived as boolean), false) as is_deleted,

        -- timestamps (UTC)
        coalesce({{ utc_timestamp('properties__hs_timestamp') }}, {{ utc_timestamp('created_at') }}) as occurred_at,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('archived_at') }} as deleted_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
