with source as (
    select * from {{ source('google_ads', 'click_view') }}
),

renamed as (
    select distinct
        -- ids
        click_view__gclid as gclid,
        'google_ads' as source_system,
        click_view__gclid as source_record_id,
        cast(campaign__id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group__id as {{ dbt.type_string() }}) as ad_group_id,

        -- dates
        cast(segments__date as date) as clicked_on
    from source
)

select * from renamed
