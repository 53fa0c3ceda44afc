with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('hubspot', 'contacts')) }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as contact_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(properties__hubspot_owner_id as {{ dbt.type_string() }}) as owner_id,
        properties__hs_merged_object_ids as merged_contact_ids,

        -- strings
        properties__email as email,
        properties__firstname as first_name,
        properties__lastname as last_name,
        properties__jobtitle as job_title,
        properties__company as company_name,
        properties__country as country,
        properties__lifecyclestage as lifecycle_stage,
        properties__hs_lead_status as lead_status,
        properties__hs_analytics_source as analytics_source,
        properties__hs_analytics_source_data_1 as analytics_source_campaign,
        properties__lead_source as lead_source,
        properties__mql_disposition as mql_disposition,
        properties__mql_rejection_reason as mql_rejection_reason,

        -- booleans
        coalesce(archived, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('archived_at') }} as deleted_at,
        {{ utc_timestamp('properties__mql_disposition_date') }} as mql_disposition_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
