with source as (
    -- An ad group re-read on a later run keeps its latest version.
    {{ latest_version(source('google_ads', 'ad_groups'), key='ad_group__id', order_by='_dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        cast(ad_group__id as {{ dbt.type_string() }}) as ad_group_id,
        'google_ads' as source_system,
        cast(ad_group__id as {{ dbt.type_string() }}) as source_record_id,
        cast(campaign__id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        ad_group__name as ad_group_name,
        ad_group__status as status,

        -- booleans
        coalesce(ad_group__status = 'REMOVED', false) as is_deleted,
        _dlt_load_id as load_id
    from source
)

select * from renamed
