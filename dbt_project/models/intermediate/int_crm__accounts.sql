-- Every CRM company/account record (merged-away ones included), whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__accounts') }}
