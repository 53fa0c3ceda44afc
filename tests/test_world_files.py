import dlt
import duckdb
import pyarrow as pa
import pytest

from extract.world_files.settings import SYSTEMS
from extract.world_files.source import flatten_like_dlt, world_system_source


def test_flatten_names_nested_fields_like_dlt():
    table = pa.table({"messageId": ["m1"], "context": [{"campaign": {"source": "google"}, "userAgent": "x"}]})
    flat = flatten_like_dlt(table)
    assert flat.column_names == ["message_id", "context__campaign__source", "context__user_agent"]


def test_loads_every_table_with_all_rows(small_world, tmp_path):
    pipeline = dlt.pipeline(pipeline_name="t_mailchimp",
                            destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                            dataset_name="raw_mailchimp", pipelines_dir=str(tmp_path / "dlt"))
    pipeline.run(world_system_source("mailchimp", small_world))
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for spec in SYSTEMS["mailchimp"]:
            loaded = con.execute(f"SELECT count(*) FROM raw_mailchimp.{spec.name}").fetchall()[0][0]
            source = con.execute(f"SELECT count(*) FROM '{small_world}/mailchimp/{spec.file}'").fetchall()[0][0]
            assert loaded == source, spec.name


def test_a_null_key_is_a_clear_error(small_world, tmp_path):
    world = tmp_path / "world"
    (world / "meta_ads").mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT * REPLACE (CASE WHEN date_start = (SELECT min(date_start) FROM
                                   '{small_world}/meta_ads/insights_daily.parquet') THEN NULL ELSE campaign_id END
                                   AS campaign_id)
                              FROM '{small_world}/meta_ads/insights_daily.parquet')
                        TO '{world}/meta_ads/insights_daily.parquet'""")
        con.execute(f"COPY (SELECT * FROM '{small_world}/meta_ads/campaigns.parquet') "
                    f"TO '{world}/meta_ads/campaigns.parquet'")
    pipeline = dlt.pipeline(pipeline_name="t_meta", destination=dlt.destinations.duckdb(str(tmp_path / "m.duckdb")),
                            dataset_name="raw_meta_ads", pipelines_dir=str(tmp_path / "dlt"))
    with pytest.raises(Exception, match="insights_daily: .* rows without campaign_id"):
        pipeline.run(world_system_source("meta_ads", world))


def test_a_missing_file_names_the_file(tmp_path):
    (tmp_path / "google_ads").mkdir()
    resource = world_system_source("google_ads", tmp_path).resources["campaigns"]
    with pytest.raises(Exception, match="campaigns.parquet"):
        list(resource)


def test_unknown_system_is_refused():
    with pytest.raises(ValueError, match="unknown demo-world system"):
        world_system_source("salesforce_classic", ".")
