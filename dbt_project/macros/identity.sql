{#- Identity-resolution helpers (models/intermediate/identity). -#}

{#- A record's node id in the identity graph: `<source_system>|<record_type>|<source_record_id>`. -#}
{% macro identity_node(source_system, record_type, source_record_id) -%}
    {{ dbt.concat([source_system, "'|'", record_type, "'|'", source_record_id]) }}
{%- endmacro %}

{#- Connected components of an undirected graph by min-label propagation: every node starts
    with its own id as label and takes the smallest label among itself and its neighbours,
    `passes` times; `label_next` is one more pass, so `label = label_next` on every row proves
    convergence (a data test checks it). Plain joins and GROUP BY only, so it runs on any engine. -#}
{% macro connected_components(edges, node_a='node_a', node_b='node_b', passes=10) -%}
with directed as (
    select {{ node_a }} as node_id, {{ node_b }} as neighbour_id from {{ edges }}
    union
    select {{ node_b }}, {{ node_a }} from {{ edges }}
),

neighbourhood as (
    -- each node is its own neighbour, so a pass never loses a node's current label
    select node_id, neighbour_id from directed
    union
    select node_id, node_id from directed
),

labels_0 as (
    select distinct node_id, node_id as label from neighbourhood
),
{% for pass in range(1, passes + 2) %}
labels_{{ pass }} as (
    select neighbourhood.node_id, min(labels.label) as label
    from neighbourhood
    inner join labels_{{ pass - 1 }} as labels on labels.node_id = neighbourhood.neighbour_id
    group by neighbourhood.node_id
){{ "," if not loop.last }}
{% endfor %}
select
    labels_{{ passes }}.node_id,
    labels_{{ passes }}.label,
    labels_{{ passes + 1 }}.label as label_next
from labels_{{ passes }}
inner join labels_{{ passes + 1 }} on labels_{{ passes + 1 }}.node_id = labels_{{ passes }}.node_id
{%- endmacro %}

{#- A web domain as accounts are matched on: lower case, without scheme, `www.`, path or port. -#}
{% macro normalized_domain(expr) -%}
    nullif(
        {{ dbt.split_part(dbt.split_part(
            "replace(replace(replace(lower(trim(" ~ expr ~ ")), 'https://', ''), 'http://', ''), 'www.', '')",
            "'/'", 1), "':'", 1) }},
        '')
{%- endmacro %}

{#- A company name as accounts are matched on: lower case, punctuation dropped, single spaces. -#}
{% macro normalized_company_name(expr) -%}
    trim(replace(replace(replace(replace(lower({{ expr }}), '.', ''), ',', ''), '  ', ' '), '  ', ' '))
{%- endmacro %}

{#- Fails with the nodes whose label still changed on the extra pass: raise
    var identity_label_propagation_passes until it passes. -#}
{% test labels_converged(model) %}
select node_id, label, label_next from {{ model }} where label <> label_next
{% endtest %}

{#- Fails with the rows whose separated list holds more than max_items items (the models that
    split such lists read that many positions). -#}
{% test list_length_at_most(model, column_name, separator, max_items) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} is not null
  and {{ dbt.length(column_name) }} - {{ dbt.length(dbt.replace(column_name, "'" ~ separator ~ "'", "''")) }}
      >= {{ max_items }}
{% endtest %}
