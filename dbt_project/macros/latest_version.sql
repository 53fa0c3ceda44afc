{#- The latest extracted version of each record: loaders append re-extracted rows, staging keeps
    one per key (the newest by `order_by`). -#}
{% macro latest_version(relation, key='id', order_by='updated_at desc, _dlt_load_id desc') -%}
    select * from (
        select *, row_number() over (partition by {{ key }} order by {{ order_by }}) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
