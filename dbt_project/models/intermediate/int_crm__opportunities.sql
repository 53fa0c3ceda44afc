-- Every CRM opportunity in one shape whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__opportunities') }}
