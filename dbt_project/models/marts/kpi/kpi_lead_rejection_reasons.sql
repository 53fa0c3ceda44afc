-- Why sales rejected MQLs: rejected MQLs by the month of the MQL, the person's source channel and
-- campaign, and the rejection reason (the warehouse's vocabulary, seed crm_rejection_reason_map).
with dispositions as (
    select * from {{ ref('fct_lead_dispositions') }}
    where disposition = 'rejected'
),

persons as (
    select person_id, coalesce(first_touch_channel, 'no_touch') as source_channel,
        first_touch_campaign_id as source_campaign_id
    from {{ ref('dim_person') }}
),

aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'dispositions.mql_at') }} as date) as month,
        coalesce(persons.source_channel, 'no_touch') as source_channel,
        persons.source_campaign_id,
        coalesce(dispositions.rejection_reason, 'unknown') as rejection_reason,
        count(*) as rejected_mqls
    from dispositions
    left join persons on persons.person_id = dispositions.person_id
    group by 1, 2, 3, 4
),

final as (
    select
        cast(month as date) as month,
        cast(source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(source_campaign_id as {{ dbt.type_string() }}) as source_campaign_id,
        cast(rejection_reason as {{ dbt.type_string() }}) as rejection_reason,
        cast(rejected_mqls as bigint) as rejected_mqls,
        cast({{ safe_divide('rejected_mqls', 'sum(rejected_mqls) over (partition by month, source_channel, source_campaign_id)') }}
            as double precision) as share_of_rejections
    from aggregated
)

select * from final
