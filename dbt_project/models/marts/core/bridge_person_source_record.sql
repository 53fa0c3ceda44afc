-- Every person source record (CRM contacts and leads, email-platform members, web devices and
-- user ids, form fills, ad click ids) with the resolved person it belongs to.
with person_records as (
    select * from {{ ref('int_identity__person_records') }}
),

final as (
    select
        source_system,
        record_type,
        source_record_id,
        person_id,
        is_deleted,
        is_merged_away,
        created_at
    from person_records
)

select * from final
