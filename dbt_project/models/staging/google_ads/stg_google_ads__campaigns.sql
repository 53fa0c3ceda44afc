with source as (
    -- A campaign re-read on a later run keeps its latest version.
    {{ latest_version(source('google_ads', 'campaigns'), key='campaign__id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        cast(campaign__id as {{ dbt.type_string() }}) as campaign_id,
        'google_ads' as source_system,
        cast(campaign__id as {{ dbt.type_string() }}) as source_record_id,
        cast(customer__id as {{ dbt.type_string() }}) as customer_id,

        -- strings
        campaign__name as campaign_name,
        campaign__advertising_channel_type as advertising_channel_type,
        campaign__status as status,
        upper(customer__currency_code) as currency,

        -- booleans
        coalesce(campaign__status = 'REMOVED', false) as is_deleted,

        -- dates
        cast(campaign__start_date as date) as starts_on,
        cast(campaign__end_date as date) as ends_on,
        _dlt_load_id as load_id
    from source
)

select * from renamed
