with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'account'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as account_id,
        'salesforce' as source_system,
        id as source_record_id,
        owner_id,
        master_record_id,

        -- strings
        name as account_name,
        website,
        industry,
        billing_country as country,
        type as account_type,

        -- numerics
        cast(number_of_employees as integer) as employees,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(churn_date__c as date) as churned_on,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
