{{ config(meta={"dagster": {"ref": {"name": "kpi_attribution"}}}) }}
-- In every conversion level, attribution model and month, the attributed revenue equals the bookings (amount in
-- the reporting currency of the live opportunities won that month) and the attributed won deals
-- the number of deals won, within 0.01: fails with each model and month that differs.
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
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as month,
        coalesce(sum(amount_reporting), 0) as bookings,
        count(*) as deals_won
    from {{ ref('fct_opportunities') }}
    where not is_deleted
        and is_won
        and closed_at is not null
    group by cast({{ dbt.date_trunc('month', 'closed_at') }} as date)
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
