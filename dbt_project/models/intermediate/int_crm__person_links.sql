-- Pairs of CRM person records the CRM itself says are one person (merges, lead conversions),
-- whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__person_links') }}
