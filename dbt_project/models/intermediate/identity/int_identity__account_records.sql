-- Every CRM company record with its resolved account: records sharing a domain or merged by the
-- CRM are one account. account_id is a hash of the component's smallest node id.
with accounts as (
    select * from {{ ref('int_crm__accounts') }}
),

components as (
    select node_id, label from {{ ref('int_identity__account_components') }}
),

nodes as (
    select accounts.*, {{ identity_node('source_system', "'company'", 'source_record_id') }} as node_id
    from accounts
),

final as (
    select
        nodes.source_system,
        'company' as record_type,
        nodes.source_record_id,
        nodes.node_id,
        {{ dbt.hash('coalesce(components.label, nodes.node_id)') }} as account_id,
        nodes.account_name,
        {{ normalized_domain('nodes.website') }} as domain,
        nodes.is_deleted,
        nodes.is_merged_away,
        nodes.created_at
    from nodes
    left join components on components.node_id = nodes.node_id
)

select * from final
