-- Every person source record with its resolved person: records in one connected component of
-- the identity graph are one person; a record with no edge is a person of its own.
-- person_id is a hash of the component's smallest node id, so it is stable while that node is.
with records as (
    select * from {{ ref('int_identity__records') }}
),

components as (
    select node_id, label from {{ ref('int_identity__components') }}
),

final as (
    select
        records.source_system,
        records.record_type,
        records.source_record_id,
        records.node_id,
        {{ dbt.hash('coalesce(components.label, records.node_id)') }} as person_id,
        records.is_deleted,
        records.is_merged_away,
        records.created_at
    from records
    left join components on components.node_id = records.node_id
)

select * from final
