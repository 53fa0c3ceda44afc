"""`dbt docs generate` works on a built warehouse and documents every column of every mart."""

import json
import shutil

from test_incremental import dbt


def test_docs_generate_describes_every_mart_column(built_home, tmp_path):
    home, result, _ = built_home
    assert result.success
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(home / "warehouse.duckdb", warehouse)
    dbt(warehouse, tmp_path / "target", "docs", "generate")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    marts = {key: node for key, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node["path"].startswith("marts/")}
    assert {"dim_person", "dim_account", "fct_touchpoints", "fct_opportunities"} <= {n["name"] for n in marts.values()}
    undocumented = []
    for key, node in marts.items():
        assert node["description"].strip(), f"{node['name']} has no description"
        built_columns = catalog["nodes"][key]["columns"]
        assert built_columns, f"{node['name']} is missing from the catalog"
        for column in built_columns:
            described = node["columns"].get(column.lower(), {}).get("description", "").strip()
            if not described:
                undocumented.append(f"{node['name']}.{column}")
    assert undocumented == []
