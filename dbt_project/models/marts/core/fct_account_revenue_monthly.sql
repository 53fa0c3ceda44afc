-- One row per account that has ever been a customer and calendar month, from the month of its
-- first won deal to the latest month of opportunity data: its annual recurring revenue (ARR) at
-- the end of the month and how it moved since the month before.
-- A won deal of any type (new business, expansion, renewal) is a subscription worth its
-- amount_reporting per year, active for var subscription_term_days from its close (a renewal
-- closes when the term it renews ends); ARR is the sum of the account's active subscriptions.
{%- set term_days = var('subscription_term_days') | int %}

with contracts as (
    select account_id, amount_reporting, cast(closed_at as date) as starts_on,
        cast({{ dbt.dateadd('day', term_days, 'cast(closed_at as date)') }} as date) as ends_on
    from {{ ref('fct_opportunities') }}
    where is_won
        and not is_deleted
        and account_id is not null
        and closed_at is not null
),

data_end as (
    select cast(max(coalesce(closed_at, created_at)) as date) as last_day
    from {{ ref('fct_opportunities') }}
    where not is_deleted
),

months as (
    select distinct month_start,
        cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from {{ ref('dim_date') }}
),

customer_months as (
    select accounts.account_id, months.month_start, months.month_end
    from (select account_id, min(starts_on) as first_day from contracts group by account_id) as accounts
    cross join data_end
    inner join months
        on months.month_end >= accounts.first_day
        and months.month_start <= data_end.last_day
),

arr as (
    select
        customer_months.account_id,
        customer_months.month_start,
        coalesce(sum(contracts.amount_reporting), 0) as arr
    from customer_months
    left join contracts
        on contracts.account_id = customer_months.account_id
        and contracts.starts_on <= customer_months.month_end
        and contracts.ends_on > customer_months.month_end
    group by customer_months.account_id, customer_months.month_start
),

movements as (
    select
        account_id,
        month_start,
        arr,
        coalesce(lag(arr) over (partition by account_id order by month_start), 0) as previous_arr,
        -- a month the account had ARR in before this one: a return after churn is a reactivation
        max(case when arr > 0 then 1 else 0 end) over (
            partition by account_id order by month_start rows between unbounded preceding and 1 preceding
        ) as had_arr_before,
        min(month_start) over (partition by account_id) as cohort_month
    from arr
),

final as (
    select
        account_id,
        cast(month_start as date) as month,
        cast(cohort_month as date) as cohort_month,
        cast(arr as {{ dbt.type_numeric() }}) as arr,
        cast(previous_arr as {{ dbt.type_numeric() }}) as previous_arr,
        arr > 0 as is_customer,
        cast(case when previous_arr = 0 and arr > 0 and coalesce(had_arr_before, 0) = 0 then arr else 0 end
            as {{ dbt.type_numeric() }}) as new_arr,
        cast(case when previous_arr = 0 and arr > 0 and had_arr_before = 1 then arr else 0 end
            as {{ dbt.type_numeric() }}) as reactivated_arr,
        cast(case when previous_arr > 0 and arr > previous_arr then arr - previous_arr else 0 end
            as {{ dbt.type_numeric() }}) as expansion_arr,
        cast(case when previous_arr > 0 and arr > 0 and arr < previous_arr then previous_arr - arr else 0 end
            as {{ dbt.type_numeric() }}) as contraction_arr,
        cast(case when previous_arr > 0 and arr = 0 then previous_arr else 0 end
            as {{ dbt.type_numeric() }}) as churned_arr,
        '{{ var("reporting_currency") }}' as reporting_currency
    from movements
)

select * from final
