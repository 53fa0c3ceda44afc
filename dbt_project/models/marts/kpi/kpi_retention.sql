-- Retention by customer cohort (the month of an account's first won deal) and months since the
-- cohort started: logo retention, gross and net revenue retention, churned, contracted and
-- expanded ARR against each account's ARR at the end of its cohort month (in the reporting
-- currency). One row per cohort and month up to the latest month of data.
with revenue as (
    select * from {{ ref('fct_account_revenue_monthly') }}
),

starting as (
    select account_id, cohort_month, arr as starting_arr
    from revenue
    where month = cohort_month
),

compared as (
    select
        starting.cohort_month,
        {{ dbt.datediff('starting.cohort_month', 'revenue.month', 'month') }} as months_since_start,
        starting.account_id,
        starting.starting_arr,
        revenue.arr
    from starting
    inner join revenue on revenue.account_id = starting.account_id
),

aggregated as (
    select
        cohort_month,
        months_since_start,
        count(*) as cohort_customers,
        sum(case when arr > 0 then 1 else 0 end) as retained_customers,
        sum(starting_arr) as starting_arr,
        sum(arr) as arr,
        sum(case when arr = 0 then starting_arr else 0 end) as churned_arr,
        sum(case when arr > 0 and arr < starting_arr then starting_arr - arr else 0 end) as contraction_arr,
        sum(case when arr > starting_arr then arr - starting_arr else 0 end) as expansion_arr
    from compared
    group by cohort_month, months_since_start
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(months_since_start as integer) as months_since_start,
        cast(cohort_customers as bigint) as cohort_customers,
        cast(retained_customers as bigint) as retained_customers,
        cast({{ safe_divide('retained_customers', 'cohort_customers') }} as double precision) as logo_retention,
        cast(starting_arr as {{ dbt.type_numeric() }}) as starting_arr,
        cast(arr as {{ dbt.type_numeric() }}) as arr,
        cast(churned_arr as {{ dbt.type_numeric() }}) as churned_arr,
        cast(contraction_arr as {{ dbt.type_numeric() }}) as contraction_arr,
        cast(expansion_arr as {{ dbt.type_numeric() }}) as expansion_arr,
        cast({{ safe_divide('starting_arr - churned_arr - contraction_arr', 'starting_arr') }} as double precision)
            as gross_revenue_retention,
        cast({{ safe_divide('arr', 'starting_arr') }} as double precision) as net_revenue_retention,
        '{{ var("reporting_currency") }}' as reporting_currency
    from aggregated
)

select * from final
