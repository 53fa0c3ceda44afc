with source as (
    select * from {{ source('hubspot', 'associations') }}
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
