-- One row per conversion × eligible touch × attribution model, with the share of the conversion
-- (credit) and of its revenue (revenue_credit) the touch earns. Every model gives each touch a
-- weight; a conversion's credits are the weights divided by their sum, rounded to 12 decimals,
-- and the rounding remainder goes to the conversion's highest-credited touch (ties: the earlier
-- touch), so credits sum to exactly 1 and revenue credits (rounded to 6 decimals, fixed the same
-- way) to exactly the revenue. A conversion with no eligible touch keeps one row per model with
-- channel `no_touch` and credit 1. Rules: see the attribution doc blocks.
{%- set position_first = var('attribution_position_first') | float %}
{%- set position_last = var('attribution_position_last') | float %}
{%- set w_key = var('attribution_w_shaped_key_touch') | float %}
{%- set half_life_days = var('attribution_time_decay_half_life_days') | float %}
{%- if position_first < 0 or position_last < 0 or position_first + position_last <= 0 or position_first + position_last > 1 %}
    {{ exceptions.raise_compiler_error("attribution_position_first and attribution_position_last must be >= 0, with a sum above 0 and at most 1") }}
{%- endif %}
{%- if w_key <= 0 or 3 * w_key > 1 %}
    {{ exceptions.raise_compiler_error("attribution_w_shaped_key_touch must be above 0 and at most 1/3") }}
{%- endif %}
{%- if half_life_days <= 0 %}
    {{ exceptions.raise_compiler_error("attribution_time_decay_half_life_days must be above 0") }}
{%- endif %}

{#- Each rule-based model's weight of a touch (columns of int_attribution__eligible_touches),
    on any positive scale: the weights are normalized per conversion below. -#}
{%- set rule_based_weights = {
    'first_touch': "case when touch_rank = 1 then 1 else 0 end",
    'last_touch': "case when touch_rank = touches_count then 1 else 0 end",
    'linear': "1",
    'position_based': "case
            when touches_count = 1 then 1
            when touch_rank = 1 then " ~ position_first ~ "
            when touch_rank = touches_count then " ~ position_last ~ "
            else (1 - " ~ position_first ~ " - " ~ position_last ~ ") / (touches_count - 2)
        end",
    'w_shaped': w_key ~ " * (
            case when touch_rank = 1 then 1 else 0 end
            + case when touch_rank = lead_creation_touch_rank then 1 else 0 end
            + case when touch_rank = opportunity_creation_touch_rank then 1 else 0 end
        )
        + case when touch_rank not in (1, lead_creation_touch_rank, opportunity_creation_touch_rank)
               then (1 - 3 * " ~ w_key ~ ") / nullif(touches_count - key_touches_count, 0)
               else 0
          end",
    'time_decay': "power(cast(2 as double precision), -days_before_conversion / " ~ half_life_days ~ ")",
} %}

{#- Data-driven models: model name -> the model with one row per conversion_id × touchpoint_id of
    int_attribution__eligible_touches and a positive `weight`; their credits are normalized,
    rounded and fixed like the rule-based ones. -#}
{%- set data_driven_weights = {'markov': 'int_attribution__markov_weights'} %}

{%- set attribution_models = (rule_based_weights.keys() | list) + (data_driven_weights.keys() | list) %}

with conversions as (
    select * from {{ ref('int_attribution__conversions') }}
),

touches as (
    select
        *,
        -- distinct key touches of the W-shaped model (first, lead creation, opportunity creation)
        1
        + case when lead_creation_touch_rank <> 1 then 1 else 0 end
        + case when opportunity_creation_touch_rank not in (1, lead_creation_touch_rank) then 1 else 0 end
            as key_touches_count
    from {{ ref('int_attribution__eligible_touches') }}
),

attribution_models as (
    {%- for model_name in attribution_models %}
    select cast('{{ model_name }}' as {{ dbt.type_string() }}) as model
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

weights as (
    {%- for model_name, weight in rule_based_weights.items() %}
    select
        conversion_id,
        touchpoint_id,
        '{{ model_name }}' as model,
        cast({{ weight }} as double precision) as weight
    from touches
    union all
    {%- endfor %}
    {%- for model_name, relation in data_driven_weights.items() %}
    select conversion_id, touchpoint_id, '{{ model_name }}' as model, cast(weight as double precision) as weight
    from {{ ref(relation) }}
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_string() }}) as model,
        cast(null as double precision) as weight
    where 1 = 0
),

normalized as (
    select
        weights.conversion_id,
        weights.touchpoint_id,
        weights.model,
        weights.weight / nullif(sum(weights.weight) over (
            partition by weights.conversion_id, weights.model
        ), 0) as exact_credit
    from weights
),

rounded as (
    select
        normalized.conversion_id,
        normalized.touchpoint_id,
        normalized.model,
        cast(round(cast(normalized.exact_credit as numeric(38, 18)), 12) as numeric(18, 12)) as rounded_credit,
        -- the touch that takes the rounding remainder: the highest credit, then the earlier touch
        row_number() over (
            partition by normalized.conversion_id, normalized.model
            order by normalized.exact_credit desc, touches.touch_rank
        ) as credit_rank
    from normalized
    inner join touches
        on touches.conversion_id = normalized.conversion_id
        and touches.touchpoint_id = normalized.touchpoint_id
),

credited as (
    select
        conversion_id,
        touchpoint_id,
        model,
        credit_rank,
        cast(rounded_credit + case when credit_rank = 1
             then 1 - sum(rounded_credit) over (partition by conversion_id, model) else 0 end
            as numeric(18, 12)) as credit
    from rounded
),

revenue_rounded as (
    select
        credited.conversion_id,
        credited.touchpoint_id,
        credited.model,
        credited.credit_rank,
        credited.credit,
        conversions.revenue,
        cast(round(credited.credit * conversions.revenue, 6) as {{ dbt.type_numeric() }}) as rounded_revenue_credit
    from credited
    inner join conversions on conversions.conversion_id = credited.conversion_id
),

touch_credits as (
    select
        revenue_rounded.conversion_id,
        revenue_rounded.touchpoint_id,
        revenue_rounded.model,
        revenue_rounded.credit,
        revenue_rounded.rounded_revenue_credit + case when revenue_rounded.credit_rank = 1
            then revenue_rounded.revenue - sum(revenue_rounded.rounded_revenue_credit) over (
                partition by revenue_rounded.conversion_id, revenue_rounded.model)
            else 0 end as revenue_credit
    from revenue_rounded
),

touched_rows as (
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.conversion_level,
        conversions.opportunity_id,
        conversions.account_id,
        conversions.converted_at,
        touch_credits.model,
        touches.touchpoint_id,
        touches.person_id,
        touches.touched_at,
        touches.touch_type,
        touches.team,
        touches.channel,
        touches.campaign_id,
        touches.touch_rank,
        touches.touches_count,
        touches.days_before_conversion,
        touches.touch_rank = touches.lead_creation_touch_rank as is_lead_creation_touch,
        touches.touch_rank = touches.opportunity_creation_touch_rank as is_opportunity_creation_touch,
        touch_credits.credit,
        conversions.revenue,
        touch_credits.revenue_credit
    from touch_credits
    inner join touches
        on touches.conversion_id = touch_credits.conversion_id
        and touches.touchpoint_id = touch_credits.touchpoint_id
    inner join conversions on conversions.conversion_id = touch_credits.conversion_id
),

touched_conversions as (
    select distinct conversion_id from touches
),

untouched_rows as (
    -- no touch in the window: the whole conversion goes to `no_touch`, once per model
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.conversion_level,
        conversions.opportunity_id,
        conversions.account_id,
        conversions.converted_at,
        attribution_models.model,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as timestamp) as touched_at,
        cast(null as {{ dbt.type_string() }}) as touch_type,
        cast(null as {{ dbt.type_string() }}) as team,
        'no_touch' as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as integer) as touch_rank,
        0 as touches_count,
        cast(null as double precision) as days_before_conversion,
        cast(null as boolean) as is_lead_creation_touch,
        cast(null as boolean) as is_opportunity_creation_touch,
        1 as credit,
        conversions.revenue,
        conversions.revenue as revenue_credit
    from conversions
    cross join attribution_models
    left join touched_conversions on touched_conversions.conversion_id = conversions.conversion_id
    where touched_conversions.conversion_id is null
),

unioned as (
    select * from touched_rows
    union all
    select * from untouched_rows
),

final as (
    select
        {{ surrogate_key(['conversion_id', 'touchpoint_id', 'model']) }} as attribution_credit_id,
        conversion_id,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_level as {{ dbt.type_string() }}) as conversion_level,
        opportunity_id,
        account_id,
        cast(converted_at as timestamp) as converted_at,
        cast(model as {{ dbt.type_string() }}) as model,
        touchpoint_id,
        person_id,
        cast(touched_at as timestamp) as touched_at,
        touch_type,
        team,
        cast(channel as {{ dbt.type_string() }}) as channel,
        campaign_id,
        cast(touch_rank as integer) as touch_rank,
        cast(touches_count as integer) as touches_count,
        cast(days_before_conversion as double precision) as days_before_conversion,
        is_lead_creation_touch,
        is_opportunity_creation_touch,
        cast(credit as numeric(18, 12)) as credit,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(revenue_credit as {{ dbt.type_numeric() }}) as revenue_credit
    from unioned
)

select * from final
