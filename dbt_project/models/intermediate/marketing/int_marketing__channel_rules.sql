-- The channel_mapping seed as the assign_channel macro matches it: one row per rule, patterns
-- lower-cased, `(none)` turned into a must-be-empty flag. A blank cell matches anything.
{%- set attributes = ['touch_type', 'utm_source', 'utm_medium', 'utm_campaign', 'referrer_host', 'click_id_type'] %}

with rules as (
    select * from {{ ref('channel_mapping') }}
),

final as (
    select
        priority,
        {%- for attribute in attributes %}
        case when lower(trim({{ attribute }})) = '(none)' then null
             else nullif(lower(trim({{ attribute }})), '') end as {{ attribute }}_pattern,
        coalesce(lower(trim({{ attribute }})) = '(none)', false) as {{ attribute }}_must_be_empty,
        {%- endfor %}
        lower(trim(channel)) as channel,
        description
    from rules
)

select * from final
