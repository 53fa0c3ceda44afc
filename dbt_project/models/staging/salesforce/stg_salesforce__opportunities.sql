with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('salesforce', 'opportunity'), order_by='system_modstamp desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as opportunity_id,
        'salesforce' as source_system,
        id as source_record_id,
        account_id,
        owner_id,

        -- strings
        name as opportunity_name,
        stage_name,
        type as opportunity_type,
        loss_reason__c as loss_reason,
        upper(currency_iso_code) as currency,

        -- numerics
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(probability as double precision) as probability,

        -- booleans
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps (UTC)
        cast(close_date as date) as close_date,
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('system_modstamp') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
