with opportunities as (
    select * from {{ ref('int_crm__opportunities') }}
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
        {{ surrogate_key(['opportunities.source_system', 'opportunities.source_record_id']) }} as opportunity_id,
        case when opportunities.account_source_record_id is not null
             then {{ surrogate_key(['opportunities.source_system', 'opportunities.account_source_record_id']) }}
        end as account_id,
        opportunities.opportunity_type,
        opportunities.opportunity_name,
        opportunities.deal_stage,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.lost_reason,
        opportunities.amount,
        opportunities.currency,
        -- Converted at the rate in force when the deal was created; money is never summed across currencies.
        cast(opportunities.amount / deal_fx.units_per_usd * reporting_fx.units_per_usd as {{ dbt.type_numeric() }})
            as amount_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        opportunities.owner_id,
        opportunities.is_deleted,
        opportunities.source_system,
        opportunities.source_record_id
    from opportunities
    left join fx as deal_fx
        on deal_fx.currency = opportunities.currency
        and cast(opportunities.created_at as date) >= deal_fx.valid_from
        and cast(opportunities.created_at as date) < deal_fx.valid_to
    left join reporting_fx
        on cast(opportunities.created_at as date) >= reporting_fx.valid_from
        and cast(opportunities.created_at as date) < reporting_fx.valid_to
)

select * from final
