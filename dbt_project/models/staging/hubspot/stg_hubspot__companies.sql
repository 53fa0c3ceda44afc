with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('hubspot', 'companies')) }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as company_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(properties__hubspot_owner_id as {{ dbt.type_string() }}) as owner_id,
        properties__hs_merged_object_ids as merged_company_ids,

        -- strings
        properties__name as company_name,
        properties__domain as domain,
        properties__industry as industry,
        properties__country as country,
        properties__lifecyclestage as lifecycle_stage,

        -- numerics
        cast(properties__numberofemployees as integer) as employees,

        -- booleans
        coalesce(archived, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(properties__churn_date as date) as churned_on,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
