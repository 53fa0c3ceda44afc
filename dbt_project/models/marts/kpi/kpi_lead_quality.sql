-- Lead quality by the month of the MQL, source channel and source campaign of the person: MQLs
-- passed to sales, sales' verdicts, how many became opportunities or were recycled, and sales'
-- speed to lead against the follow-up SLA (var lead_follow_up_sla_hours).
with dispositions as (
    select * from {{ ref('fct_lead_dispositions') }}
),

persons as (
    select person_id, coalesce(first_touch_channel, 'no_touch') as source_channel,
        first_touch_campaign_id as source_campaign_id
    from {{ ref('dim_person') }}
),

person_stages as (
    select person_id, stage, stage_order, entered_at, is_regression
    from {{ ref('fct_lifecycle_stages') }}
    where entity_type = 'person'
),

mqls as (
    select
        dispositions.*,
        -- the person's next MQL: a recycled lead that qualifies again starts a new MQL
        lead(dispositions.mql_at) over (
            partition by dispositions.person_id order by dispositions.mql_at, dispositions.lead_disposition_id
        ) as next_mql_at
    from dispositions
),

outcomes as (
    select
        mqls.lead_disposition_id,
        max(case when person_stages.stage in ('opportunity', 'customer') then 1 else 0 end) as became_opportunity,
        max(case when person_stages.stage = 'lead' and person_stages.is_regression
                  and (mqls.next_mql_at is null or person_stages.entered_at < mqls.next_mql_at)
                 then 1 else 0 end) as was_recycled
    from mqls
    inner join person_stages
        on person_stages.person_id = mqls.person_id
        and person_stages.entered_at >= mqls.mql_at
    group by mqls.lead_disposition_id
),

enriched as (
    select
        cast({{ dbt.date_trunc('month', 'mqls.mql_at') }} as date) as month,
        coalesce(persons.source_channel, 'no_touch') as source_channel,
        persons.source_campaign_id,
        mqls.disposition,
        mqls.is_touched,
        mqls.is_within_sla,
        mqls.hours_to_first_sales_touch,
        coalesce(outcomes.became_opportunity, 0) as became_opportunity,
        coalesce(outcomes.was_recycled, 0) as was_recycled
    from mqls
    left join persons on persons.person_id = mqls.person_id
    left join outcomes on outcomes.lead_disposition_id = mqls.lead_disposition_id
),

aggregated as (
    select
        month,
        source_channel,
        source_campaign_id,
        count(*) as mqls,
        sum(case when disposition = 'accepted' then 1 else 0 end) as accepted_mqls,
        sum(case when disposition = 'rejected' then 1 else 0 end) as rejected_mqls,
        sum(case when disposition is null then 1 else 0 end) as mqls_without_verdict,
        sum(became_opportunity) as mqls_to_opportunity,
        sum(was_recycled) as recycled_leads,
        sum(case when is_touched then 1 else 0 end) as mqls_touched_by_sales,
        sum(case when is_within_sla then 1 else 0 end) as mqls_within_sla,
        {{ percentile('hours_to_first_sales_touch', 0.5) }} as median_hours_to_first_sales_touch
    from enriched
    group by month, source_channel, source_campaign_id
),

final as (
    select
        cast(month as date) as month,
        cast(source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(source_campaign_id as {{ dbt.type_string() }}) as source_campaign_id,
        cast(mqls as bigint) as mqls,
        cast(accepted_mqls as bigint) as accepted_mqls,
        cast(rejected_mqls as bigint) as rejected_mqls,
        cast(mqls_without_verdict as bigint) as mqls_without_verdict,
        cast({{ safe_divide('accepted_mqls', 'accepted_mqls + rejected_mqls') }} as double precision) as acceptance_rate,
        cast(mqls_to_opportunity as bigint) as mqls_to_opportunity,
        cast({{ safe_divide('mqls_to_opportunity', 'mqls') }} as double precision) as mql_to_opportunity_rate,
        cast(recycled_leads as bigint) as recycled_leads,
        cast(mqls_touched_by_sales as bigint) as mqls_touched_by_sales,
        cast(median_hours_to_first_sales_touch as double precision) as median_hours_to_first_sales_touch,
        cast(mqls_within_sla as bigint) as mqls_within_sla,
        cast({{ safe_divide('mqls_within_sla', 'mqls') }} as double precision) as within_sla_rate,
        cast({{ var('lead_follow_up_sla_hours') }} as double precision) as sla_hours
    from aggregated
)

select * from final
