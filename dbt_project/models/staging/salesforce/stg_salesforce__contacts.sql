with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'contact'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as contact_id,
        'salesforce' as source_system,
        id as source_record_id,
        account_id,
        owner_id,
        master_record_id,

        -- strings
        email,
        first_name,
        last_name,
        title as job_title,
        mailing_country as country,
        lead_source,
        lifecycle_stage__c as lifecycle_stage,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
