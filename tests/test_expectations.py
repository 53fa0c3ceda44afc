import json

import pandas as pd
import pytest

from expectations.runner import SUITES_DIR, SuiteError, load_suite, suite_names, validate_dataframe


def kpi_frame():
    """Three months of one segment in the shape of kpi.kpi_pipeline."""
    frame = pd.DataFrame({
        "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]), "segment": ["smb"] * 3,
        "opportunities_created": [10, 12, 9], "pipeline_created_amount": [1000.0, 1200.0, 900.0],
        "deals_won": [2, 3, 1], "deals_lost": [1, 0, 3], "bookings_amount": [200.0, 300.0, 50.0],
        "lost_amount": [100.0, 0.0, 150.0], "win_rate": [2 / 3, 1.0, 0.25], "win_rate_amount": [2 / 3, 1.0, 0.25],
        "average_deal_size": [100.0, 100.0, 50.0], "median_sales_cycle_days": [30.0, 41.0, 28.0],
        "open_opportunities": [20, 25, 22], "open_pipeline_amount": [5000.0, 5200.0, 4900.0],
        "next_quarter_bookings_target": [1500.0, 1500.0, 1600.0], "pipeline_coverage": [3.3, 3.5, 3.1],
        "reporting_currency": ["USD"] * 3,
    })
    for sourced in ("marketing_sourced", "sales_sourced", "marketing_influenced"):
        frame[f"{sourced}_opportunities"] = [5, 6, 4]
        frame[f"{sourced}_pipeline"] = [500.0, 600.0, 400.0]
    return frame


def test_every_suite_file_loads_and_names_its_table():
    assert "kpi_pipeline" in suite_names()
    for name in suite_names():
        suite = load_suite(name)
        assert "." in suite.table and suite.expectations


def test_clean_kpi_frame_passes():
    outcome = validate_dataframe(load_suite("kpi_pipeline"), kpi_frame())
    assert outcome.success, outcome.summary()


def test_each_defect_fails_the_right_expectation():
    df = pd.concat([kpi_frame(), kpi_frame().iloc[[0]]], ignore_index=True)
    df.loc[1, "win_rate"] = 1.5
    df.loc[2, "reporting_currency"] = "EUR"
    outcome = validate_dataframe(load_suite("kpi_pipeline"), df)
    failed = {(f.expectation, f.column) for f in outcome.failed}
    assert failed == {("expect_compound_columns_to_be_unique", "month, segment"),
                      ("expect_column_values_to_be_between", "win_rate"),
                      ("expect_column_unique_value_count_to_be_between", "reporting_currency")}
    win = next(f for f in outcome.failed if f.column == "win_rate")
    assert win.unexpected_count == 1 and win.failing_rows[0]["win_rate"] == 1.5


def test_missing_column_fails_the_schema_expectation():
    outcome = validate_dataframe(load_suite("kpi_pipeline"), kpi_frame().drop(columns=["deals_lost"]))
    assert any(f.expectation == "expect_table_columns_to_match_set" for f in outcome.failed)


@pytest.mark.parametrize("bad", [
    {"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 0}},  # no column
    {"type": "expect_values_to_be_magic", "kwargs": {"column": "month"}},  # no such expectation
])
def test_a_suite_with_an_invalid_expectation_is_refused(tmp_path, bad):
    suite = json.loads((SUITES_DIR / "kpi_pipeline.json").read_text())
    suite["expectations"].append(bad)
    (tmp_path / "broken.json").write_text(json.dumps({**suite, "name": "broken"}))
    with pytest.raises(SuiteError, match="not valid"):
        validate_dataframe(load_suite("broken", tmp_path), kpi_frame())
