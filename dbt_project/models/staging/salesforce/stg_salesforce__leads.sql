with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'lead'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as lead_id,
        'salesforce' as source_system,
        id as source_record_id,
        owner_id,
        master_record_id,
        converted_contact_id,
        converted_account_id,
        converted_opportunity_id,

        -- strings
        email,
        first_name,
        last_name,
        title as job_title,
        company as company_name,
        country,
        status as lead_status,
        lead_source,
        lifecycle_stage__c as lifecycle_stage,
        disposition__c as disposition,
        rejection_reason__c as rejection_reason,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,
        coalesce(is_converted, false) as is_converted,

        -- timestamps (UTC) and dates
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        cast(converted_date as date) as converted_on,
        _dlt_load_id as load_id
    from source
)

select * from renamed
