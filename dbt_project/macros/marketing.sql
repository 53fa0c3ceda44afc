{#- Marketing helpers: campaign keys, channel rules, URL hosts, timestamp spelling. -#}

{#- A UTC timestamp spelled as ISO 8601 with milliseconds and Z (`2025-09-16T19:02:01.000Z`), the
    way vendor APIs such as Mailchimp spell it: used to rebuild ids that contain a timestamp. -#}
{% macro iso_utc_string(expr) -%}
    {{ return(adapter.dispatch('iso_utc_string', 'revenue_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__iso_utc_string(expr) -%}
    strftime({{ expr }}, '%Y-%m-%dT%H:%M:%S.%gZ')
{%- endmacro %}

{% macro postgres__iso_utc_string(expr) -%}
    to_char({{ expr }}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
{%- endmacro %}

{% macro spark__iso_utc_string(expr) -%}
    date_format({{ expr }}, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
{%- endmacro %}

{#- The host of a URL, lower-cased, without port (`https://www.google.com/x` -> `www.google.com`). -#}
{% macro url_host(expr) -%}
    nullif(lower({{ dbt.split_part(dbt.split_part(expr, "'/'", 3), "':'", 1) }}), '')
{%- endmacro %}

{#- A UTM value as the warehouse compares it: trimmed, lower-cased, null when empty. -#}
{% macro normalized_utm(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{#- A campaign name or utm_campaign reduced to its letters and digits, lower-cased, so that a
    platform's campaign name and the utm_campaign its links carry can be compared
    (`2025 Q1 - Lead Gen - Ebook` and `2025q1-lead-gen-ebook` both give `2025q1leadgenebook`). -#}
{% macro campaign_match_name(expr) -%}
    {%- set built = namespace(value="lower(trim(" ~ expr ~ "))") -%}
    {%- for separator in [" ", "-", "_", ".", ":", "/", "|", "&", "+", "(", ")", ","] -%}
        {%- set built.value = "replace(" ~ built.value ~ ", '" ~ separator ~ "', '')" -%}
    {%- endfor -%}
    nullif({{ built.value }}, '')
{%- endmacro %}

{#- The warehouse key of a campaign (dim_campaign.campaign_id), the same wherever the campaign is
    seen: the hash of its normalized utm_campaign when it has one (so touches, which only know the
    tag, and ad spend, which knows the platform's id, meet on one key), else the hash of the
    system that holds it and its id there. -#}
{% macro campaign_key(utm_campaign, source_system, source_campaign_id) -%}
    case
        when {{ normalized_utm(utm_campaign) }} is not null
            then {{ surrogate_key([normalized_utm(utm_campaign)]) }}
        when {{ source_campaign_id }} is not null
            then {{ surrogate_key([source_system, source_campaign_id]) }}
    end
{%- endmacro %}

{#- The six attributes channel rules match on, as one key: touch_type, utm_source, utm_medium,
    utm_campaign, referrer_host, click_id_type must be columns in scope. -#}
{% macro channel_tag_key() -%}
    {{ surrogate_key(['touch_type', 'utm_source', 'utm_medium', 'utm_campaign', 'referrer_host', 'click_id_type']) }}
{%- endmacro %}

{#- The channel of each tag combination in `tags` (a relation or CTE with `tag_key` and the six
    attributes of channel_tag_key), by the channel_mapping seed: the matching rule with the lowest
    priority wins; a combination no rule matches gets channel `unmapped`. One row per tag_key. -#}
{% macro assign_channel(tags) -%}
    {%- set attributes = ['touch_type', 'utm_source', 'utm_medium', 'utm_campaign', 'referrer_host', 'click_id_type'] -%}
    select
        tag_key,
        coalesce(channel, 'unmapped') as channel,
        channel_rule_priority
    from (
        select
            combinations.tag_key,
            rules.channel,
            rules.priority as channel_rule_priority,
            row_number() over (
                partition by combinations.tag_key
                order by case when rules.priority is null then 1 else 0 end, rules.priority, rules.channel
            ) as rule_rank
        from (
            select distinct
                tag_key,
                {%- for attribute in attributes %}
                {{ normalized_utm(attribute) }} as {{ attribute }}{{ "," if not loop.last }}
                {%- endfor %}
            from {{ tags }}
        ) as combinations
        left join {{ ref('int_marketing__channel_rules') }} as rules
            on
            {%- for attribute in attributes %}
            (
                (rules.{{ attribute }}_pattern is null and not rules.{{ attribute }}_must_be_empty)
                or (rules.{{ attribute }}_must_be_empty and combinations.{{ attribute }} is null)
                or combinations.{{ attribute }} like rules.{{ attribute }}_pattern
            ){{ " and" if not loop.last }}
            {%- endfor %}
    ) as ranked
    where rule_rank = 1
{%- endmacro %}

{#- Epoch milliseconds (as APIs such as LinkedIn's give times) as a UTC timestamp. -#}
{% macro epoch_ms_timestamp(expr) -%}
    {{ return(adapter.dispatch('epoch_ms_timestamp', 'revenue_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__epoch_ms_timestamp(expr) -%}
    epoch_ms(cast({{ expr }} as {{ dbt.type_bigint() }}))
{%- endmacro %}

{% macro postgres__epoch_ms_timestamp(expr) -%}
    (to_timestamp({{ expr }} / 1000.0) at time zone 'UTC')
{%- endmacro %}

{% macro spark__epoch_ms_timestamp(expr) -%}
    timestamp_millis(cast({{ expr }} as bigint))
{%- endmacro %}
