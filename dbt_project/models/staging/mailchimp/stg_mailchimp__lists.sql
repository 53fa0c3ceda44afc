with source as (
    -- A list re-read on a later run keeps its latest version.
    {{ latest_version(source('mailchimp', 'lists'), key='id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as list_id,
        'mailchimp' as source_system,
        id as source_record_id,

        -- strings
        name as list_name,
        campaign_defaults__from_name as default_from_name,
        visibility,

        -- numerics
        cast(stats__member_count as {{ dbt.type_bigint() }}) as member_count,
        cast(stats__unsubscribe_count as {{ dbt.type_bigint() }}) as unsubscribe_count,
        cast(stats__cleaned_count as {{ dbt.type_bigint() }}) as cleaned_count,
        cast(stats__campaign_count as {{ dbt.type_bigint() }}) as campaign_count,

        -- booleans
        coalesce(double_optin, false) as is_double_opt_in,

        -- timestamps (UTC)
        {{ utc_timestamp('date_created') }} as created_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
