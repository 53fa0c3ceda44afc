{{ config(meta={"dagster": {"ref": {"name": "kpi_attribution"}}}) }}
-- In every conversion level, attribution model and month, the attributed revenue equals the
-- bookings of kpi_pipeline (all segments) and the attributed won deals its deals won, within 0.01:
-- the same number never has two definitions. Fails with each level, model and month that differs.
with attributed as (
    select
        conversion_level,
        model,
        month,
        sum(attributed_revenue) as attributed_revenue,
        sum(attributed_won_deals) as attributed_won_deals
    from {{ ref('kpi_attribution') }}
    group by conversion_level, model, month
),

attribution_models as (
    select distinct conversion_level, model from attributed
),

bookings as (
    -- the bookings and deals won of kpi_pipeline, all segments
    select month, sum(bookings_amount) as bookings, sum(deals_won) as deals_won
    from {{ ref('kpi_pipeline') }}
    group by month
),

expected as (
    select attribution_models.conversion_level, attribution_models.model, bookings.month, bookings.bookings, bookings.deals_won
    from bookings
    cross join attribution_models
)

select
    coalesce(expected.conversion_level, attributed.conversion_level) as conversion_level,
    coalesce(expected.model, attributed.model) as model,
    coalesce(expected.month, attributed.month) as month,
    expected.bookings,
    attributed.attributed_revenue,
    expected.deals_won,
    attributed.attributed_won_deals
from expected
full outer join attributed
    on attributed.conversion_level = expected.conversion_level
    and attributed.model = expected.model
    and attributed.month = expected.month
where abs(coalesce(expected.bookings, 0) - coalesce(attributed.attributed_revenue, 0)) > 0.01
    or abs(coalesce(expected.deals_won, 0) - coalesce(attributed.attributed_won_deals, 0)) > 0.01
