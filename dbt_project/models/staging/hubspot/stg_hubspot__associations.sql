{%- set link_tables = ['contact_associations', 'deal_associations', 'call_associations', 'meeting_associations',
                       'email_associations', 'note_associations', 'task_associations'] -%}

with source as (
    {{ union_existing('hubspot', link_tables,
                      ['association_type', 'from_object_type', 'from_id', 'to_object_type', 'to_id']) }}
),

renamed as (
    select distinct
        association_type,
        from_object_type,
        cast(from_id as {{ dbt.type_string() }}) as from_id,
        to_object_type,
        cast(to_id as {{ dbt.type_string() }}) as to_id
    from source
)

select * from renamed
