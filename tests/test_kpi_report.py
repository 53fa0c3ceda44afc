"""The KPI report renders in a real headless browser (Debian's chromium, driven by Playwright)
without errors, draws every chart, and its numbers equal the published marts."""

import os
import shutil

import duckdb
import pytest

from orchestration.kpi_report import REPORT_MODEL, report_data

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTIONS = ["scorecard", "funnel", "pipeline", "channels", "attribution", "retention"]


@pytest.fixture(scope="module")
def rendered(built_home):
    """The report of the built warehouse, opened in chromium: (page values, console errors, published marts)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        reason = "Debian's chromium is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    home, result, _ = built_home
    assert result.success
    report = home / "reports" / "kpi_report.html"
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(report.as_uri())
        for section in SECTIONS:
            page.wait_for_selector(f"#chart-{section} .main-svg", timeout=30_000)
        tables = {section: page.eval_on_selector_all(
            f"#table-{section} tbody tr",
            "rows => rows.map(r => [...r.cells].map("
            "c => c.dataset.value !== undefined ? c.dataset.value : c.textContent))")
            for section in SECTIONS}
        traces = page.evaluate("id => document.getElementById(id).data.length", "chart-attribution")
        header = {"run": page.get_attribute("code[data-run-id]", "data-run-id"), "date": page.inner_text("#data-date")}
        browser.close()
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as con:
        data = report_data(con)
    return tables, traces, header, errors, data, result


def number(text):
    return None if text == "" else float(text)


def test_the_report_renders_every_chart_without_errors(rendered):
    tables, traces, _, errors, data, _ = rendered
    assert errors == []
    assert all(tables[section] for section in SECTIONS)
    assert traces == data["attribution"]["model"].nunique() == 7  # every attribution model side by side


def test_the_report_says_which_run_and_data_date_it_shows(rendered):
    _, _, header, _, data, result = rendered
    assert header == {"run": result.run_id, "date": data["data_date"]}


def test_the_scorecard_funnel_and_pipeline_numbers_equal_the_marts(rendered):
    tables, _, _, _, data, _ = rendered
    scorecard = data["scorecard"]
    assert [row[0] for row in tables["scorecard"]] == list(scorecard["kpi_name"])
    for row, kpi in zip(tables["scorecard"], scorecard.itertuples(), strict=False):
        assert number(row[2]) == pytest.approx(kpi.actual_value)
        assert number(row[3]) == (pytest.approx(kpi.target_value) if kpi.target_value == kpi.target_value else None)
    funnel = data["funnel"]
    assert [number(row[1]) for row in tables["funnel"]] == list(funnel["persons_reached"].astype(float))
    pipeline = data["pipeline"]
    created = list(pipeline["pipeline_created"].astype(float))
    assert [number(row[2]) for row in tables["pipeline"]] == pytest.approx(created)
    assert [number(row[5]) for row in tables["pipeline"]] == pytest.approx(list(pipeline["bookings"].astype(float)))


def test_the_channel_attribution_and_retention_numbers_equal_the_marts(rendered, built_home):
    tables, _, _, _, data, _ = rendered
    home, _, _ = built_home
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as con:
        spend = dict(con.execute("""SELECT channel, sum(spend) FROM kpi.kpi_channel_performance
                                    WHERE model = ? AND month >= ? GROUP BY channel""",
                                 [REPORT_MODEL, data["since"]]).fetchall())
        revenue = dict(con.execute("""SELECT channel || '/' || model, sum(attributed_revenue) FROM kpi.kpi_attribution
                                      WHERE conversion_level = 'account' AND month >= ? GROUP BY 1""",
                                   [data["since"]]).fetchall())
        nrr = dict(con.execute("""SELECT strftime(cohort_month, '%Y-%m'), net_revenue_retention FROM kpi.kpi_retention
                                  WHERE months_since_start = 12""").fetchall())
    assert {row[0]: number(row[1]) for row in tables["channels"]} == {c: pytest.approx(float(spend[c])) for c in
                                                                       {row[0] for row in tables["channels"]}}
    models = sorted(data["attribution"]["model"].unique())
    for row in tables["attribution"]:
        for model, cell in zip(models, row[1:], strict=False):
            assert number(cell) == pytest.approx(float(revenue.get(f"{row[0]}/{model}", 0)))
    assert {row[0]: number(row[4]) for row in tables["retention"]} == pytest.approx(nrr)
