-- One row per MQL handed to sales: the resolved person, sales' verdict and the speed to lead
-- against the follow-up SLA (var lead_follow_up_sla_hours).
with dispositions as (
    select * from {{ ref('int_crm__lead_dispositions') }}
),

person_records as (
    select source_system, record_type, source_record_id, person_id
    from {{ ref('int_identity__person_records') }}
),

persons as (
    select person_id, account_id from {{ ref('dim_person') }}
),

final as (
    select
        {{ surrogate_key(['dispositions.source_system', 'dispositions.person_source_record_id', 'dispositions.mql_at']) }}
            as lead_disposition_id,
        person_records.person_id,
        persons.account_id,
        dispositions.mql_at,
        {{ dbt.dateadd('hour', var('lead_follow_up_sla_hours'), 'dispositions.mql_at') }} as sla_due_at,
        dispositions.first_sales_touch_at,
        dispositions.hours_to_first_sales_touch,
        dispositions.first_sales_touch_at is not null as is_touched,
        coalesce(dispositions.hours_to_first_sales_touch <= {{ var('lead_follow_up_sla_hours') }}, false) as is_within_sla,
        cast({{ var('lead_follow_up_sla_hours') }} as double precision) as sla_hours,
        dispositions.disposition,
        dispositions.rejection_reason,
        dispositions.disposition_at,
        dispositions.is_disposition_inferred,
        dispositions.source_system,
        dispositions.record_type,
        dispositions.person_source_record_id as source_record_id
    from dispositions
    left join person_records
        on person_records.source_system = dispositions.source_system
        and person_records.record_type = dispositions.record_type
        and person_records.source_record_id = dispositions.person_source_record_id
    left join persons on persons.person_id = person_records.person_id
)

select * from final
