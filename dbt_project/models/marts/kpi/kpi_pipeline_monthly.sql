-- Pipeline created and bookings per calendar month (UTC), in the reporting currency.
-- Deleted deals are excluded; open deals without an amount count as deals but add no money.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where not is_deleted
),

created as (
    select
        {{ dbt.date_trunc('month', 'created_at') }} as month,
        count(*) as opportunities_created,
        coalesce(sum(amount_reporting), 0) as pipeline_created_amount
    from opportunities
    group by 1
),

closed as (
    select
        {{ dbt.date_trunc('month', 'closed_at') }} as month,
        sum(case when is_won then 1 else 0 end) as deals_won,
        sum(case when not is_won then 1 else 0 end) as deals_lost,
        coalesce(sum(case when is_won then amount_reporting end), 0) as bookings_amount
    from opportunities
    where is_closed
    group by 1
),

months as (
    select month from created
    union
    select month from closed
),

final as (
    select
        cast(months.month as date) as month,
        cast(coalesce(created.opportunities_created, 0) as bigint) as opportunities_created,
        cast(coalesce(created.pipeline_created_amount, 0) as {{ dbt.type_numeric() }}) as pipeline_created_amount,
        cast(coalesce(closed.deals_won, 0) as bigint) as deals_won,
        cast(coalesce(closed.deals_lost, 0) as bigint) as deals_lost,
        cast(coalesce(closed.bookings_amount, 0) as {{ dbt.type_numeric() }}) as bookings_amount,
        cast(case when coalesce(closed.deals_won, 0) + coalesce(closed.deals_lost, 0) > 0
             then 1.0 * closed.deals_won / (closed.deals_won + closed.deals_lost) end as double precision) as win_rate,
        cast(case when coalesce(closed.deals_won, 0) > 0
             then closed.bookings_amount / closed.deals_won end as {{ dbt.type_numeric() }}) as average_deal_size,
        '{{ var("reporting_currency") }}' as reporting_currency
    from months
    left join created on created.month = months.month
    left join closed on closed.month = months.month
)

select * from final
