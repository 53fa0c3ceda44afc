with campaign_records as (
    select * from {{ ref('int_marketing__campaigns') }}
),

ranked as (
    -- a campaign several systems know is described by the most authoritative record: the ad
    -- platform, then Mailchimp, the file drop's campaigns, spend rows, and last its UTM tags
    select
        *,
        count(*) over (partition by campaign_id) as source_record_count,
        row_number() over (
            partition by campaign_id
            order by record_priority, starts_on, source_system, source_record_id
        ) as record_rank
    from campaign_records
),

final as (
    select
        campaign_id,
        campaign_name,
        platform,
        channel,
        utm_campaign,
        utm_source,
        utm_medium,
        utm_campaign_found_by,
        starts_on,
        ends_on,
        status,
        is_deleted,
        cast(touch_count as {{ dbt.type_bigint() }}) as touch_count,
        cast(source_record_count as {{ dbt.type_bigint() }}) as source_record_count,
        source_system,
        source_record_id
    from ranked
    where record_rank = 1
)

select * from final
