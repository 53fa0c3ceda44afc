-- Every MQL handed to sales, whatever CRM the company runs (var `crm`): sales' verdict with the
-- rejection reason mapped by crm_rejection_reason_map, and the speed to lead (hours from the MQL
-- to the first sales activity on the record, computed by each CRM's model).
with dispositions as (
    select * from {{ ref('int_' ~ var('crm') ~ '__lead_dispositions') }}
),

reasons as (
    select crm, source_reason, rejection_reason from {{ ref('crm_rejection_reason_map') }}
),

final as (
    select
        dispositions.source_system,
        dispositions.person_source_record_id,
        dispositions.record_type,
        dispositions.mql_at,
        dispositions.disposition,
        reasons.rejection_reason,
        dispositions.source_rejection_reason,
        dispositions.disposition_at,
        dispositions.is_disposition_inferred,
        dispositions.first_sales_touch_at,
        dispositions.hours_to_first_sales_touch
    from dispositions
    left join reasons
        on reasons.crm = dispositions.source_system
        and reasons.source_reason = dispositions.source_rejection_reason
)

select * from final
