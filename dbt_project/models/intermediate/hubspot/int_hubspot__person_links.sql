-- Pairs of HubSpot contact records that are one person by the CRM's own account: a survivor
-- lists the ids merged into it in hs_merged_object_ids (chains included), so each listed id is
-- linked to its survivor. The merged-away ids exist only in that list: the API no longer returns them.
with contacts as (
    select contact_id, merged_contact_ids from {{ ref('stg_hubspot__contacts') }}
    where merged_contact_ids is not null and merged_contact_ids <> ''
),

merged_ids as (
    -- HubSpot separates the ids with semicolons; split_part over positions keeps this portable.
    {%- set max_merged = var('crm_max_merged_ids_per_record') %}
    {% for position in range(1, max_merged + 1) %}
    select contact_id, {{ dbt.split_part('merged_contact_ids', "';'", position) }} as merged_id
    from contacts
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select distinct
        'hubspot' as source_system,
        'contact' as record_type,
        trim(merged_id) as source_record_id,
        'contact' as linked_record_type,
        contact_id as linked_source_record_id,
        'merged_into' as link_type
    from merged_ids
    where trim(merged_id) <> '' and trim(merged_id) <> contact_id
)

select * from final
