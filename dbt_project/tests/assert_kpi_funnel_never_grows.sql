{{ config(meta={"dagster": {"ref": {"name": "kpi_funnel"}}}) }}
-- In the cohort view a stage is never reached by more persons than the stage before it (a
-- person who reaches a stage has reached every earlier one): fails with each cohort, channel and
-- stage where the count grows.
select *
from {{ ref('kpi_funnel') }}
where funnel_view = 'cohort'
    and persons_reached > persons_reached_previous_stage
