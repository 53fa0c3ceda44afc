with source as (
    -- A campaign group re-read on a later run keeps its latest version.
    {{ latest_version(source('linkedin_ads', 'campaign_groups'), key='id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as campaign_group_id,
        'linkedin_ads' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        account as account_urn,

        -- strings
        name as campaign_group_name,
        status,

        -- booleans
        coalesce(test, false) as is_test,
        coalesce(status = 'REMOVED', false) as is_deleted,

        -- timestamps (UTC; the API gives epoch milliseconds)
        {{ epoch_ms_timestamp('run_schedule__start') }} as starts_at,
        {{ epoch_ms_timestamp('run_schedule__end') }} as ends_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
