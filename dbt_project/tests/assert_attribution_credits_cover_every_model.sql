{{ config(meta={"dagster": {"ref": {"name": "fct_attribution_credits"}}}) }}
-- Every conversion has credits in every attribution model the table holds, and a conversion
-- without eligible touches exactly one `no_touch` row per model: fails with each conversion and
-- model that has no rows, or a no_touch row beside touches or repeated.
with conversions as (
    select conversion_id from {{ ref('int_attribution__conversions') }}
),

credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

attribution_models as (
    select distinct model from credits
),

coverage as (
    select
        conversion_id,
        model,
        count(*) as credit_rows,
        sum(case when touchpoint_id is null then 1 else 0 end) as no_touch_rows
    from credits
    group by conversion_id, model
)

select
    conversions.conversion_id,
    attribution_models.model,
    coverage.credit_rows,
    coverage.no_touch_rows
from conversions
cross join attribution_models
left join coverage
    on coverage.conversion_id = conversions.conversion_id
    and coverage.model = attribution_models.model
where coverage.conversion_id is null
    or (coverage.no_touch_rows > 0 and coverage.credit_rows > 1)
