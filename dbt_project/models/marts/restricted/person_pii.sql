-- Clear personal data of each resolved person, for the few who may see it (CRM sync, data
-- protection requests). Lives in the restricted schema: BI-facing marts never read it, and the
-- BI role cannot select it.
with person_records as (
    select * from {{ ref('int_identity__person_records') }}
),

primary_email as (
    select * from {{ ref('int_identity__person_emails') }} where email_rank = 1
),

names as (
    select person_records.person_id, crm.first_name, crm.last_name,
           row_number() over (partition by person_records.person_id
                              order by case when crm.first_name is null then 1 else 0 end, crm.created_at) as name_rank
    from person_records
    inner join {{ ref('int_crm__persons') }} as crm
        on crm.source_system = person_records.source_system
        and crm.record_type = person_records.record_type
        and crm.source_record_id = person_records.source_record_id
),

final as (
    select
        people.person_id,
        primary_email.email_normalized as email,
        names.first_name,
        names.last_name
    from (select distinct person_id from person_records) as people
    left join primary_email on primary_email.person_id = people.person_id
    left join names on names.person_id = people.person_id and names.name_rank = 1
)

select * from final
