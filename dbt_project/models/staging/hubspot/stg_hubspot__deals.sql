with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('hubspot', 'deals')) }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as deal_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(properties__hubspot_owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        properties__dealname as deal_name,
        properties__pipeline as pipeline_id,
        properties__dealstage as deal_stage,
        properties__dealtype as deal_type,
        properties__closed_lost_reason as closed_lost_reason,
        upper(properties__deal_currency_code) as currency,

        -- numerics
        cast(properties__amount as {{ dbt.type_numeric() }}) as amount,

        -- booleans
        coalesce(properties__hs_is_closed = 'true', false) as is_closed,
        coalesce(properties__hs_is_closed_won = 'true', false) as is_won,
        coalesce(archived, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('properties__createdate') }} as created_at,
        {{ utc_timestamp('properties__closedate') }} as close_date,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('archived_at') }} as deleted_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
