"""The data-quality gate on a built warehouse: the clean demo world passes every suite; each kind
of defect injected into a copy fails the right check, blocks the report and names the defect;
quarantine keeps bad records out with a reason and the counts add up; alerts reach a webhook
without secrets."""

import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import pytest

from expectations.runner import DATA_DOCS_ENV, suite_names
from orchestration.alerts import WEBHOOK_ENV, alert_on_run_failure
from orchestration.dbt_assets import DBT_EXECUTABLE, DBT_PROJECT_DIR
from orchestration.definitions import build_definitions
from orchestration.settings import temporary_env

REPORT = dg.AssetKey("kpi_summary")


def copy_home(built_home, tmp_path):
    home, result, _ = built_home
    assert result.success
    copy = tmp_path / "home"
    copy.mkdir()
    shutil.copy(home / "warehouse.duckdb", copy / "warehouse.duckdb")
    return copy


def validate_and_report(home, data_docs: bool = False):
    """Every suite's check and the report after them, as the refresh job runs them (the Data Docs
    HTML, half of a check's time, only where a test looks at it)."""
    defs = build_definitions(str(home))
    checks = [key for key in defs.resolve_asset_graph().asset_check_keys if key.name.startswith("gx_")]
    job = dg.define_asset_job("validate_and_report",
                              selection=dg.AssetSelection.checks(*checks) | dg.AssetSelection.assets(REPORT))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    with temporary_env({DATA_DOCS_ENV: "on" if data_docs else "off"}):
        return defs.resolve_job_def("validate_and_report").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def failed_checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_check_key.name: e for e in result.get_asset_check_evaluations() if not e.passed}


def dbt(home, *args):
    env = {**os.environ, "REVENUE_WAREHOUSE_DUCKDB": str(home / "warehouse.duckdb"), "REVENUE_WAREHOUSE_CRM": "hubspot",
           "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    target = home / "target"
    return subprocess.run([DBT_EXECUTABLE, *args, "--target-path", str(target), "--log-path", str(target / "logs")],
                          cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=True)


def test_the_clean_warehouse_passes_every_suite_and_the_report_follows(built_home, tmp_path):
    home = copy_home(built_home, tmp_path)
    result = validate_and_report(home, data_docs=True)
    assert failed_checks(result) == {}
    evaluations = [e for e in result.get_asset_check_evaluations() if e.asset_check_key.name.startswith("gx_")]
    assert len(evaluations) == len(suite_names()) >= 20
    assert any(e.asset_key == REPORT for e in result.get_asset_materialization_events())
    # the Data Docs site holds every suite's validation, and the checks link it
    index = home / "reports" / "data_docs" / "index.html"
    assert index.exists() and all(e.metadata["data_docs"].value == str(index) for e in evaluations)
    html = index.read_text()
    assert all(name in html for name in ("kpi_scorecard", "fct_touchpoints", "dq_reconciliations"))


DEFECTS = {
    "duplicate grain row": (
        "INSERT INTO kpi.kpi_scorecard SELECT * FROM kpi.kpi_scorecard LIMIT 1",
        {"gx_kpi_scorecard"}, "expect_compound_columns_to_be_unique on month, kpi_name, segment"),
    "rate above 1": (
        "UPDATE kpi.kpi_lead_quality SET acceptance_rate = 1.2 "
        "WHERE month = (SELECT max(month) FROM kpi.kpi_lead_quality)",
        {"gx_kpi_lead_quality"}, "expect_column_values_to_be_between on acceptance_rate"),
    "attributed revenue off by one cent": (
        """UPDATE kpi.kpi_attribution SET attributed_revenue = attributed_revenue + 0.01
           WHERE (month, conversion_level, model, channel) IN (
               SELECT month, conversion_level, model, channel FROM kpi.kpi_attribution
               WHERE model = 'markov' AND attributed_revenue > 0 ORDER BY month, channel LIMIT 1)""",
        {"gx_dq_reconciliations"}, "attributed_revenue_equals_bookings"),
    "missing latest day": (
        "DELETE FROM core.fct_ad_spend WHERE spend_date = (SELECT max(spend_date) FROM core.fct_ad_spend)",
        # the spend rows the platforms delivered are no longer all modelled or quarantined either
        {"gx_fct_ad_spend", "gx_dq_reconciliations"}, "expect_column_max_to_be_between on spend_date"),
    "spend mismatch": (
        "UPDATE kpi.kpi_channel_performance SET spend = spend + 100 "
        "WHERE month = (SELECT max(month) FROM kpi.kpi_channel_performance) AND channel = 'paid_search'",
        {"gx_dq_reconciliations"}, "channel_spend_equals_extracted_spend"),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_fails_its_check_names_it_and_blocks_the_report(built_home, tmp_path, defect):
    statement, expected_checks, named = DEFECTS[defect]
    home = copy_home(built_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(statement)

    result = validate_and_report(home)

    failed = failed_checks(result)
    assert set(failed) == expected_checks
    evidence = json.dumps([{k: str(v.value) for k, v in e.metadata.items()} for e in failed.values()])
    assert named in evidence  # a summary or the failing rows name the defect
    shown = {"sample_failing_rows", "failed_expectations", "summary"}
    assert all(shown <= e.metadata.keys() for e in failed.values())
    assert not any(e.asset_key == REPORT for e in result.get_asset_materialization_events())
    assert not (home / "reports" / "kpi_summary.json").exists()


def test_volume_far_below_the_last_validated_run_fails(built_home, tmp_path):
    home = copy_home(built_home, tmp_path)
    assert failed_checks(validate_and_report(home)) == {}  # the baseline run records the volumes
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("DELETE FROM kpi.kpi_funnel "
                    "WHERE month < (SELECT max(month) - INTERVAL 3 MONTH FROM kpi.kpi_funnel)")
    failed = failed_checks(validate_and_report(home))
    assert set(failed) == {"gx_kpi_funnel"}
    assert "expect_table_row_count_to_be_between" in failed["gx_kpi_funnel"].metadata["summary"].value


def test_bad_crm_records_are_quarantined_with_the_rule_and_nothing_is_lost(built_home, tmp_path):
    home = copy_home(built_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        negative, unknown = [r[0] for r in con.execute(
            "SELECT id FROM raw_hubspot.deals WHERE NOT archived ORDER BY id LIMIT 2").fetchall()]
        con.execute("UPDATE raw_hubspot.deals SET properties__amount = '-2500' WHERE id = ?", [negative])
        con.execute("UPDATE raw_hubspot.deals SET properties__deal_currency_code = 'XYZ' WHERE id = ?", [unknown])
    dbt(home, "build", "--select", "stg_hubspot__deals+", "--exclude", "resource_type:unit_test")

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        quarantined = dict(con.execute("""SELECT source_record_id, rule FROM quarantine.quarantined_records
                                          WHERE source_table = 'opportunities'""").fetchall())
        modelled = {r[0] for r in con.execute("SELECT source_record_id FROM core.fct_opportunities").fetchall()}
        reconciled = con.execute("""SELECT expected_value, actual_value, is_reconciled
                                    FROM data_quality.dq_reconciliations
                                    WHERE check_name = 'records_reconcile'
                                      AND check_scope = 'opportunities'""").fetchone()
        summary = dict(con.execute("""SELECT rule, quarantined_rows FROM data_quality.dq_summary
                                      WHERE source_table = 'opportunities'
                                        AND run_started_at = (SELECT max(run_started_at)
                                                              FROM data_quality.dq_summary)""").fetchall())
    assert quarantined == {str(negative): "negative_amount", str(unknown): "unknown_currency"}
    assert not modelled & set(quarantined)
    assert reconciled[2] and reconciled[0] == reconciled[1]  # delivered = modelled + quarantined
    assert summary == {"negative_amount": 1, "unknown_currency": 1, "any_rule": 2}


def test_quarantine_above_the_configured_rate_fails_the_gate(built_home, tmp_path):
    """The file drop's podcast spend has 3 bad rows in about 150: more than a 1% limit allows."""
    home = copy_home(built_home, tmp_path)
    dbt(home, "run", "--select", "dq_summary", "--vars", "{dq_max_quarantine_rate: 0.01}")
    failed = failed_checks(validate_and_report(home))
    assert set(failed) == {"gx_dq_summary"}
    rows = failed["gx_dq_summary"].metadata["sample_failing_rows"].value
    assert any(row["source_table"] == "file_drop_ad_spend" for rows_ in rows.values() for row in rows_)


class _Receiver(BaseHTTPRequestHandler):
    messages: list = []

    def do_POST(self):  # noqa: N802 (http.server's spelling)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.messages.append((self.path, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Receiver.messages = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = "hooks-secret-7f3a9c"  # stands for the token a Slack or Teams webhook carries
    with temporary_env({WEBHOOK_ENV: f"http://127.0.0.1:{server.server_port}/services/{token}"}):
        yield _Receiver.messages, token
    server.shutdown()


def test_a_failed_check_posts_an_alert_without_secrets(built_home, tmp_path, webhook):
    messages, token = webhook
    home = copy_home(built_home, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(DEFECTS["rate above 1"][0])
    validate_and_report(home)
    alerts = [m for _, m in messages if m["kind"] == "check_failure"]
    assert [a["check"] for a in alerts] == ["gx_kpi_lead_quality"]
    assert alerts[0]["table"] == "kpi.kpi_lead_quality" and "acceptance_rate" in alerts[0]["summary"]
    assert token not in json.dumps([body for _, body in messages])  # the address stays out of the message


def test_a_failed_run_posts_an_alert_without_secrets(tmp_path, webhook):
    messages, token = webhook
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(str(tmp_path))  # no world: the web-events extraction fails
    job = dg.define_asset_job("extract_web", selection=dg.AssetSelection.groups("raw_web"))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def("extract_web").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event()).for_run_failure()
    alert_on_run_failure(context)
    [(_, alert)] = messages
    assert alert["kind"] == "run_failure" and alert["job"] == "extract_web"
    assert alert["run_id"] == result.run_id and alert["failed_steps"]
    assert token not in json.dumps(alert)
