{#- Whole years around the data; 40 years of days is more than any span this warehouse holds. -#}
{%- set max_days = 366 * 40 -%}

with data_dates as (
    select min(spend_date) as first_date, max(spend_date) as last_date from {{ ref('int_ad_spend__daily') }}
    union all
    select cast(min(touched_at) as date), cast(max(touched_at) as date) from {{ ref('int_touchpoints__marketing') }}
    union all
    select cast(min(created_at) as date), cast(max(coalesce(closed_at, created_at)) as date)
    from {{ ref('fct_opportunities') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('year', 'coalesce(min(first_date), current_date)') }} as date) as first_day,
        cast({{ dbt.last_day('coalesce(max(last_date), current_date)', 'year') }} as date) as last_day
    from data_dates
),

day_numbers as (
    {{ dbt.generate_series(max_days) }}
),

days as (
    select cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'bounds.first_day') }} as date) as date_day
    from day_numbers
    cross join bounds
    where day_numbers.generated_number - 1 <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as calendar_year,
        cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as calendar_quarter,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as calendar_month,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
        -- ISO day of week (Monday 1 ... Sunday 7), counted from Monday 1900-01-01
        cast(mod({{ dbt.datediff("cast('1900-01-01' as date)", 'date_day', 'day') }}, 7) + 1 as {{ dbt.type_int() }})
            as day_of_week,
        mod({{ dbt.datediff("cast('1900-01-01' as date)", 'date_day', 'day') }}, 7) >= 5 as is_weekend,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start
    from days
)

select * from final
