-- The CRM person records on each opportunity, whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__opportunity_contacts') }}
