with source as (
    -- A member re-read after a change keeps its latest version.
    {{ latest_version(source('mailchimp', 'members'), key='list_id, id', order_by='last_changed desc, _dlt_load_id desc') }}
),

renamed as (
    select
        -- ids
        id as member_id,
        'mailchimp' as source_system,
        id as source_record_id,
        list_id,
        unique_email_id,
        contact_id as mailchimp_contact_id,

        -- strings
        email_address as email,
        merge_fields__fname as first_name,
        merge_fields__lname as last_name,
        status,
        source as signup_source,
        unsubscribe_reason,

        -- booleans
        status = 'archived' as is_deleted,

        -- timestamps (UTC)
        {{ utc_timestamp("nullif(cast(timestamp_signup as " ~ dbt.type_string() ~ "), '')") }} as signed_up_at,
        {{ utc_timestamp('timestamp_opt') }} as opted_in_at,
        {{ utc_timestamp('last_changed') }} as last_changed_at,
        _dlt_load_id as load_id
    from source
)

select * from renamed
