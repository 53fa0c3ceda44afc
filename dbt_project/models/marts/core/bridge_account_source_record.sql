-- Every CRM company/account record (duplicates and merged-away ones included) with the
-- resolved account it belongs to.
with account_records as (
    select * from {{ ref('int_identity__account_records') }}
),

final as (
    select
        source_system,
        record_type,
        source_record_id,
        account_id,
        is_deleted,
        is_merged_away,
        created_at
    from account_records
)

select * from final
