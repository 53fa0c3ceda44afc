-- One row per core mart: its rows, grain violations (rows beyond one per grain key), rows with a
-- null key, and its latest date beside the latest date of what it is built from. The
-- data-quality gate validates these few rows instead of reading the large marts (a view: the
-- counting runs in the database when the gate reads it).
{#- mart, grain columns, key columns that must not be null, date column, the input and its date
    column the mart must reach (none: no freshness) -#}
{%- set marts = [
    ('dim_person', ['person_id'], ['person_id'], none, none, none),
    ('dim_account', ['account_id'], ['account_id'], none, none, none),
    ('bridge_person_source_record', ['source_system', 'record_type', 'source_record_id'], ['person_id', 'source_record_id'], none, none, none),
    ('bridge_account_source_record', ['source_system', 'record_type', 'source_record_id'], ['account_id', 'source_record_id'], none, none, none),
    ('fct_touchpoints', ['touchpoint_id'], ['touchpoint_id', 'touched_at'], 'touched_at', 'int_touchpoints__unioned', 'touched_at'),
    ('fct_lifecycle_stages', ['lifecycle_stage_entry_id'], ['lifecycle_stage_entry_id', 'entered_at'], 'entered_at', 'int_crm__stage_events', 'entered_at'),
    ('fct_lead_dispositions', ['lead_disposition_id'], ['lead_disposition_id', 'mql_at'], 'mql_at', 'int_crm__lead_dispositions', 'mql_at'),
    ('fct_opportunities', ['opportunity_id'], ['opportunity_id', 'created_at'], 'created_at', 'int_crm__opportunities', 'created_at'),
    ('fct_opportunity_stage_history', ['opportunity_stage_id'], ['opportunity_stage_id', 'opportunity_id'], 'entered_at', 'int_crm__opportunity_stage_history', 'entered_at'),
    ('fct_ad_spend', ['ad_spend_id'], ['ad_spend_id', 'spend_date'], 'spend_date', 'int_ad_spend__daily', 'spend_date'),
    ('dim_campaign', ['campaign_id'], ['campaign_id'], none, none, none),
    ('dim_date', ['date_day'], ['date_day'], none, none, none),
    ('fct_account_revenue_monthly', ['account_id', 'month'], ['account_id', 'month'], none, none, none),
    ('fct_attribution_credits', ['conversion_id', 'touchpoint_id', 'model'], ['conversion_id', 'model'], 'converted_at', 'int_attribution__conversions', 'converted_at'),
] %}

with
{%- for mart, grain, keys, date_column, input_model, input_date_column in marts %}
{{ mart }}_profile as (
    select
        '{{ mart }}' as mart,
        '{{ grain | join(", ") }}' as grain,
        (select count(*) from {{ ref(mart) }}) as row_count,
        (select count(*) from {{ ref(mart) }})
            - (select count(*) from (select distinct {{ grain | join(', ') }} from {{ ref(mart) }}) as grain_keys)
            as duplicate_grain_rows,
        (select count(*) from {{ ref(mart) }}
         where {% for key in keys %}{{ key }} is null{% if not loop.last %} or {% endif %}{% endfor %}) as null_key_rows,
        {%- if date_column %}
        (select cast(max({{ date_column }}) as date) from {{ ref(mart) }}) as latest_date,
        (select cast(max({{ input_date_column }}) as date) from {{ ref(input_model) }}) as expected_latest_date
        {%- else %}
        cast(null as date) as latest_date,
        cast(null as date) as expected_latest_date
        {%- endif %}
),
{%- endfor %}

unioned as (
    {%- for mart in marts %}
    select * from {{ mart[0] }}_profile
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast({{ dbt.concat(["'core.'", 'mart']) }} as {{ dbt.type_string() }}) as table_name,
        cast(grain as {{ dbt.type_string() }}) as grain,
        cast(row_count as bigint) as row_count,
        cast(duplicate_grain_rows as bigint) as duplicate_grain_rows,
        cast(null_key_rows as bigint) as null_key_rows,
        latest_date,
        expected_latest_date,
        cast({{ dbt.datediff('latest_date', 'expected_latest_date', 'day') }} as integer) as days_behind_input
    from unioned
)

select * from final
