{{ config(meta={"dagster": {"ref": {"name": "fct_touchpoints"}}}) }}
-- Nothing is dropped between the staged touches and fct_touchpoints: fails with each touch type
-- whose count differs (marketing touches as int_touchpoints__marketing reconciles them with
-- staging, plus every live CRM sales activity).
with expected as (
    select touch_type, count(*) as touches from {{ ref('int_touchpoints__marketing') }} group by touch_type
    union all
    select activity_type, count(*) from {{ ref('int_crm__sales_activities') }} where not is_deleted
    group by activity_type
),

built as (
    select touch_type, count(*) as touches from {{ ref('fct_touchpoints') }} group by touch_type
)

select
    coalesce(expected.touch_type, built.touch_type) as touch_type,
    expected.touches as expected_touches,
    built.touches as built_touches
from expected
full outer join built on built.touch_type = expected.touch_type
where coalesce(expected.touches, -1) <> coalesce(built.touches, -1)
