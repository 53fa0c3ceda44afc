-- Every CRM call, meeting and sales email in one shape whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__sales_activities') }}
