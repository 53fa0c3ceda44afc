-- Each exchange rate of seed fx_rates with the period it applies to: from its valid_from until
-- the next rate of the same currency.
with rates as (
    select * from {{ ref('fx_rates') }}
),

final as (
    select
        currency,
        valid_from,
        coalesce(lead(valid_from) over (partition by currency order by valid_from),
                 cast('9999-12-31' as date)) as valid_to,
        units_per_usd
    from rates
)

select * from final
