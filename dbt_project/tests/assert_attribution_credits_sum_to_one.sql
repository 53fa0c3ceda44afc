{{ config(meta={"dagster": {"ref": {"name": "fct_attribution_credits"}}}) }}
-- Every conversion's credits sum to 1 (within 1e-9) in every attribution model, no credit lies
-- outside [0, 1], and its revenue credits sum to its revenue (within a millionth of the
-- currency unit): fails with each conversion and model that does not.
with credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

summed as (
    select
        conversion_id,
        model,
        sum(credit) as credit_total,
        min(credit) as smallest_credit,
        max(credit) as largest_credit,
        sum(revenue_credit) as revenue_credit_total,
        min(revenue) as revenue,
        max(revenue) as revenue_check
    from credits
    group by conversion_id, model
)

select *
from summed
where credit_total is null
    or abs(credit_total - 1) > 0.000000001
    or smallest_credit < 0
    or largest_credit > 1
    or revenue <> revenue_check
    or abs(revenue_credit_total - revenue) > 0.000001
