import subprocess
import sys

import pytest

from demo_world.world import read_manifest


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


@pytest.mark.parametrize("args, message", [
    (["generate", "--scale", "abc", "--out", "x"], "scale must be a number"),
    (["generate", "--scale", "0", "--out", "x"], "scale must be greater than 0"),
    (["generate", "--seed", "-3", "--out", "x"], "seed must be zero or positive"),
    (["generate", "--scale", "1"], "--out"),
    (["demo", "--bogus"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_get_a_one_line_error(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_unsafe_output_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("generate", "--scale", "0.01", "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"revenue-warehouse: error: {tmp_path} exists and is not a demo world; choose an empty or new folder"]


def test_generate_writes_a_world_and_shows_progress(tmp_path):
    result = run_cli("generate", "--seed", "5", "--scale", "0.02", "--out", str(tmp_path / "w"))
    assert result.returncode == 0, result.stderr
    assert "- simulating population" in result.stdout and "wrote" in result.stdout
    assert read_manifest(tmp_path / "w")["seed"] == 5


def test_demo_runs_end_to_end_and_prints_the_kpi_summary(tmp_path):
    workdir = tmp_path / "demo"
    result = run_cli("demo", "--seed", "11", "--scale", "0.03", "--workdir", str(workdir))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in ["[1/3] Generating the demo world", "[2/3] Running the pipeline",
                     "check gx_kpi_pipeline passed",
                     "[3/3] KPI summary", "bookings", "win rate",
                     f"Published warehouse for BI tools (open it read-only): {workdir / 'published'}",
                     f"KPI report (open it in a browser): {workdir / 'reports' / 'kpi_report.html'}",
                     f"Great Expectations Data Docs): {workdir / 'reports' / 'data_docs' / 'index.html'}"]:
        assert expected in out, expected
    assert (workdir / "world" / "truth" / "person_records.parquet").exists()
    assert (workdir / "published" / "warehouse.duckdb").exists()
    assert (workdir / "reports" / "kpi_report.html").exists()
    assert (workdir / "reports" / "data_docs" / "index.html").exists()
    assert (workdir / "reports" / "kpi_summary.json").exists()
    assert (workdir / "logs" / "pipeline-run.log").exists()


def test_serve_apis_serves_the_world_crm_with_the_token_from_the_environment(small_world, tmp_path):
    import json
    import os
    import socket
    import urllib.request

    (tmp_path / "world").symlink_to(small_world)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from demo_world.vendor_apis.serve import CREDENTIAL_VARIABLES

    shared = {name: "shared-demo-token" for system in ("hubspot", "mailchimp", "google_ads", "meta_ads",
                                                         "linkedin_ads") for name in CREDENTIAL_VARIABLES[system]}
    env = {**os.environ, **shared}
    server = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "serve-apis", "--workdir", str(tmp_path),
                               "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while not any("LINKEDIN_AD_ACCOUNT_ID" in line for line in lines):  # the last variable printed
            line = server.stdout.readline()
            assert line, "serve-apis stopped before printing its variables"
            lines.append(line)
        assert any(f"HUBSPOT_API_BASE_URL=http://127.0.0.1:{port}" in line for line in lines), lines
        assert any("GOOGLE_ADS_CUSTOMER_ID=" in line for line in lines), lines
        assert not any("shared-demo-token" in line for line in lines)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/crm/v3/owners",
                                         headers={"Authorization": "Bearer shared-demo-token"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert json.load(reply)["results"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_apis_without_the_token_is_a_one_line_error(small_world, tmp_path, monkeypatch):
    (tmp_path / "world").symlink_to(small_world)
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    result = run_cli("serve-apis", "--workdir", str(tmp_path), "--port", "0")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HUBSPOT_ACCESS_TOKEN is not set" in lines[0]
