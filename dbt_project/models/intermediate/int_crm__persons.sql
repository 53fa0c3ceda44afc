-- Every CRM person record (contacts, and leads in CRMs that keep them apart), in one shape
-- whatever CRM the company runs (var `crm`).
select * from {{ ref('int_' ~ var('crm') ~ '__persons') }}
