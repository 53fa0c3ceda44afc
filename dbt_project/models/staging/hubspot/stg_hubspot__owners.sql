with source as (
    -- A record extracted more than once keeps its latest version.
    {{ latest_version(source('hubspot', 'owners')) }}
),

renamed as (
    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as owner_id,
        'hubspot' as source_system,
        cast(id as {{ dbt.type_string() }}) as source_record_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,

        -- strings
        email,
        first_name,
        last_name,
        type as owner_type,

        -- booleans
        coalesce(archived, false) as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
