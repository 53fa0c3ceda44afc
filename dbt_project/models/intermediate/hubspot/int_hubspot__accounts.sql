-- HubSpot companies in the CRM-neutral shape of int_crm__accounts, plus the merged-away company
-- ids each survivor lists in hs_merged_object_ids (the API no longer returns those records).
with companies as (
    select * from {{ ref('stg_hubspot__companies') }}
),

merged_ids as (
    {%- set max_merged = var('crm_max_merged_ids_per_record') %}
    {% for position in range(1, max_merged + 1) %}
    select company_id, {{ dbt.split_part('merged_company_ids', "';'", position) }} as merged_id
    from companies
    where merged_company_ids is not null and merged_company_ids <> ''
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

merged_away as (
    select distinct trim(merged_id) as source_record_id, company_id as merged_into_source_record_id
    from merged_ids
    where trim(merged_id) <> '' and trim(merged_id) <> company_id
),

final as (
    select
        source_system,
        source_record_id,
        company_name as account_name,
        domain as website,
        industry,
        country,
        employees,
        owner_id,
        cast(null as {{ dbt.type_string() }}) as merged_into_source_record_id,
        is_deleted,
        false as is_merged_away,
        churned_on,
        created_at
    from companies
    union all
    select
        'hubspot', merged_away.source_record_id, null, null, null, null, null, null,
        merged_away.merged_into_source_record_id, true, true, null, null
    from merged_away
    left join companies on companies.source_record_id = merged_away.source_record_id
    where companies.source_record_id is null
)

select * from final
