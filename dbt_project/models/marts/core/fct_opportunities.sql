with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

deal_company as (
    select object_id as deal_id, company_id
    from {{ ref('int_hubspot__primary_company') }}
    where object_type = 'deal'
),

fx as (
    -- Each rate applies from its valid_from until the next rate of the same currency.
    select
        currency,
        valid_from,
        coalesce(lead(valid_from) over (partition by currency order by valid_from),
                 cast('9999-12-31' as date)) as valid_to,
        units_per_usd
    from {{ ref('fx_rates') }}
),

reporting_fx as (
    select valid_from, valid_to, units_per_usd
    from fx where currency = '{{ var("reporting_currency") }}'
),

final as (
    select
        {{ surrogate_key(["'hubspot'", 'deals.deal_id']) }} as opportunity_id,
        case when deal_company.company_id is not null
             then {{ surrogate_key(["'hubspot'", 'deal_company.company_id']) }} end as account_id,
        deals.deal_type as opportunity_type,
        deals.deal_name as opportunity_name,
        deals.deal_stage,
        deals.created_at,
        case when deals.is_closed then deals.close_date end as closed_at,
        deals.is_closed,
        deals.is_won,
        deals.closed_lost_reason as lost_reason,
        deals.amount,
        deals.currency,
        -- Converted at the rate in force when the deal was created; money is never summed across currencies.
        cast(deals.amount / deal_fx.units_per_usd * reporting_fx.units_per_usd as {{ dbt.type_numeric() }})
            as amount_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        deals.owner_id,
        deals.is_deleted,
        deals.source_system,
        deals.source_record_id
    from deals
    left join deal_company on deal_company.deal_id = deals.deal_id
    left join fx as deal_fx
        on deal_fx.currency = deals.currency
        and cast(deals.created_at as date) >= deal_fx.valid_from
        and cast(deals.created_at as date) < deal_fx.valid_to
    left join reporting_fx
        on cast(deals.created_at as date) >= reporting_fx.valid_from
        and cast(deals.created_at as date) < reporting_fx.valid_to
)

select * from final
