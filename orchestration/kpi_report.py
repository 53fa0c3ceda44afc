"""The KPI report: one static HTML file (no server, charts drawn with Plotly, its JavaScript inline)
for people who would rather look than read. Every figure comes from the published warehouse,
and the report says which run and data date it shows.

Each section has a chart and a table; every number cell carries its exact value in `data-value`
so the report can be checked against the marts.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.io as pio

REPORT_FILE = "kpi_report.html"
REPORT_MODEL = "linear"  # the attribution model channel performance is shown under (all models side by side below)
MONTHS = 12


def _frame(con, query: str, params=()):
    return con.execute(query, list(params)).df()


def report_data(con: duckdb.DuckDBPyConnection) -> dict:
    """Every figure of the report, read from the published marts."""
    publication = con.execute("SELECT run_id, published_at, data_date FROM publication.publication").fetchone()
    last_month = con.execute("SELECT max(month) FROM kpi.kpi_pipeline").fetchone()[0]
    since = con.execute(f"SELECT cast(? AS DATE) - INTERVAL {MONTHS - 1} MONTH", [last_month]).fetchone()[0]
    scorecard_month = con.execute("""SELECT max(month) FROM kpi.kpi_scorecard
                                     WHERE target_value IS NOT NULL AND segment = 'all'""").fetchone()[0]
    return {
        "run_id": publication[0], "published_at": str(publication[1]), "data_date": str(publication[2]),
        "since": str(since)[:10], "last_month": str(last_month)[:10], "scorecard_month": str(scorecard_month)[:10],
        "scorecard": _frame(con, """
            SELECT kpi_name, owner_team, unit, actual_value, target_value, attainment, is_on_target
            FROM kpi.kpi_scorecard WHERE month = ? AND segment = 'all' ORDER BY kpi_name""", [scorecard_month]),
        "funnel": _frame(con, """
            SELECT stage, stage_order, sum(persons_reached) AS persons_reached
            FROM kpi.kpi_funnel WHERE funnel_view = 'cohort' AND month >= ?
            GROUP BY stage, stage_order ORDER BY stage_order""", [since]),
        "pipeline": _frame(con, """
            SELECT month, sum(opportunities_created) AS opportunities_created,
                   sum(pipeline_created_amount) AS pipeline_created,
                   sum(marketing_sourced_pipeline) AS marketing_sourced,
                   sum(deals_won) AS deals_won, sum(bookings_amount) AS bookings
            FROM kpi.kpi_pipeline WHERE month >= ? GROUP BY month ORDER BY month""", [since]),
        "channels": _frame(con, """
            SELECT channel, sum(spend) AS spend, sum(leads) AS leads, sum(attributed_new_customers) AS new_customers,
                   sum(attributed_revenue) AS attributed_revenue
            FROM kpi.kpi_channel_performance WHERE model = ? AND month >= ?
            GROUP BY channel HAVING sum(spend) > 0 OR sum(attributed_revenue) > 0 ORDER BY channel""",
                           [REPORT_MODEL, since]),
        "attribution": _frame(con, """
            SELECT channel, model, sum(attributed_revenue) AS attributed_revenue
            FROM kpi.kpi_attribution WHERE conversion_level = 'account' AND month >= ?
            GROUP BY channel, model ORDER BY channel, model""", [since]),
        "retention": _frame(con, """
            SELECT cohort_month, months_since_start, cohort_customers, logo_retention, net_revenue_retention,
                   gross_revenue_retention
            FROM kpi.kpi_retention ORDER BY cohort_month, months_since_start"""),
        "currency": con.execute("SELECT max(reporting_currency) FROM kpi.kpi_pipeline").fetchone()[0],
    }


def _ratio(numerator, denominator):
    return float(numerator) / float(denominator) if denominator else None


def _cell(value, kind: str) -> str:
    if value is None or value != value:  # None or NaN
        return '<td class="num" data-value="">–</td>'
    number = float(value)
    text = {"money": f"{number:,.0f}", "count": f"{number:,.0f}", "ratio": f"{number:.1%}",
            "hours": f"{number:,.1f} h", "x": f"{number:,.2f}×"}[kind]
    return f'<td class="num" data-value="{number!r}">{text}</td>'


def _table(table_id: str, headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _text(value) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def _chart(figure: go.Figure, chart_id: str, first: bool) -> str:
    figure.update_layout(margin={"l": 50, "r": 20, "t": 30, "b": 40}, height=340, template="plotly_white")
    return pio.to_html(figure, include_plotlyjs=True if first else False, full_html=False, div_id=chart_id,
                       config={"displaylogo": False, "responsive": True})


def render_report(data: dict) -> str:
    cur = data["currency"]
    sections = []

    scorecard = data["scorecard"]
    unit_kind = {"count": "count", "money": "money", "ratio": "ratio", "hours": "hours"}
    rows = [[_text(r.kpi_name), _text(r.owner_team), _cell(r.actual_value, unit_kind[r.unit]),
             _cell(r.target_value, unit_kind[r.unit]), _cell(r.attainment, "ratio"),
             _text("yes" if r.is_on_target is True else "no" if r.is_on_target is False else "–")]
            for r in scorecard.itertuples()]
    figure = go.Figure(go.Bar(x=scorecard["kpi_name"], y=scorecard["attainment"], marker_color="#2f6fb0"))
    figure.add_hline(y=1, line_dash="dash", line_color="#999")
    figure.update_yaxes(tickformat=".0%", title="attainment")
    sections.append(("scorecard", f"Shared scorecard, {data['scorecard_month'][:7]}",
                     "Actuals against the targets both teams agreed on (kpi_scorecard); attainment 100% = on target.",
                     _chart(figure, "chart-scorecard", first=True),
                     _table("table-scorecard", ["KPI", "owner", "actual", "target", "attainment", "on target"], rows)))

    funnel = data["funnel"]
    entered = float(funnel["persons_reached"].iloc[0]) if len(funnel) else 0
    previous = None
    rows = []
    for r in funnel.itertuples():
        rows.append([_text(r.stage), _cell(r.persons_reached, "count"),
                     _cell(_ratio(r.persons_reached, previous), "ratio"),
                     _cell(_ratio(r.persons_reached, entered), "ratio")])
        previous = r.persons_reached
    figure = go.Figure(go.Funnel(y=funnel["stage"], x=funnel["persons_reached"], textinfo="value+percent initial"))
    sections.append(("funnel", f"Funnel of the persons who entered since {data['since'][:7]}",
                     "Persons who reached each stage or beyond (kpi_funnel, cohort view), with stage-to-stage "
                     "and end-to-end conversion.",
                     _chart(figure, "chart-funnel", first=False),
                     _table("table-funnel", ["stage", "persons reached", "from previous stage", "from entry"], rows)))

    pipeline = data["pipeline"]
    months = [str(m)[:7] for m in pipeline["month"]]
    figure = go.Figure([go.Bar(name="pipeline created", x=months, y=pipeline["pipeline_created"]),
                        go.Bar(name="marketing-sourced", x=months, y=pipeline["marketing_sourced"]),
                        go.Scatter(name="bookings", x=months, y=pipeline["bookings"], mode="lines+markers")])
    figure.update_yaxes(title=cur)
    rows = [[_text(m), _cell(r.opportunities_created, "count"), _cell(r.pipeline_created, "money"),
             _cell(r.marketing_sourced, "money"), _cell(r.deals_won, "count"), _cell(r.bookings, "money")]
            for m, r in zip(months, pipeline.itertuples(), strict=False)]
    sections.append(("pipeline", "Pipeline and bookings by month",
                     f"All segments (kpi_pipeline), in {cur}.", _chart(figure, "chart-pipeline", first=False),
                     _table("table-pipeline", ["month", "opportunities", "pipeline created", "marketing-sourced",
                                               "deals won", "bookings"], rows)))

    channels = data["channels"]
    rows = [[_text(r.channel), _cell(r.spend, "money"), _cell(r.leads, "count"),
             _cell(_ratio(r.spend, r.new_customers) if r.spend else None, "money"),
             _cell(_ratio(r.attributed_revenue, r.spend), "x")] for r in channels.itertuples()]
    figure = go.Figure([go.Bar(name="spend", x=channels["channel"], y=channels["spend"]),
                        go.Bar(name=f"attributed revenue ({REPORT_MODEL})", x=channels["channel"],
                               y=channels["attributed_revenue"])])
    figure.update_yaxes(title=cur, type="log")
    sections.append(("channels", f"Channel performance since {data['since'][:7]}",
                     f"Spend, leads, CAC and ROAS under the {REPORT_MODEL} model (kpi_channel_performance), in {cur}.",
                     _chart(figure, "chart-channels", first=False),
                     _table("table-channels", ["channel", "spend", "leads", "CAC", "ROAS"], rows)))

    attribution = data["attribution"]
    figure = go.Figure([go.Bar(name=model, x=part["channel"], y=part["attributed_revenue"])
                        for model, part in attribution.groupby("model", sort=True)])
    figure.update_layout(barmode="group")
    figure.update_yaxes(title=cur)
    pivot = attribution.pivot(index="channel", columns="model", values="attributed_revenue").fillna(0)
    rows = [[_text(channel)] + [_cell(pivot.loc[channel, m], "money") for m in pivot.columns]
            for channel in pivot.index]
    sections.append(("attribution", f"Revenue by channel under every attribution model since {data['since'][:7]}",
                     "Bookings credited to the buying committee's touches (kpi_attribution, account level).",
                     _chart(figure, "chart-attribution", first=False),
                     _table("table-attribution", ["channel", *pivot.columns], rows)))

    retention = data["retention"]
    cohorts = sorted({str(c)[:7] for c in retention["cohort_month"]})
    figure = go.Figure(go.Heatmap(
        x=retention["months_since_start"], y=[str(c)[:7] for c in retention["cohort_month"]],
        z=retention["net_revenue_retention"], colorscale="Blues", zmin=0, colorbar={"title": "NRR"}))
    figure.update_xaxes(title="months since the cohort's first win")
    at_twelve = retention[retention["months_since_start"] == 12]
    rows = [[_text(str(r.cohort_month)[:7]), _cell(r.cohort_customers, "count"), _cell(r.logo_retention, "ratio"),
             _cell(r.gross_revenue_retention, "ratio"), _cell(r.net_revenue_retention, "ratio")]
            for r in at_twelve.itertuples()]
    sections.append(("retention", "Retention by customer cohort",
                     f"Net revenue retention by cohort and month (kpi_retention); the table shows month 12 of the "
                     f"{len(at_twelve)} cohorts old enough, of {len(cohorts)}.",
                     _chart(figure, "chart-retention", first=False),
                     _table("table-retention", ["cohort", "customers", "logo retention", "GRR", "NRR"], rows)))

    body = "\n".join(f'<section id="{sid}"><h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>'
                     f'{chart}{table}</section>' for sid, title, note, chart, table in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Revenue warehouse: shared KPIs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 2rem; }}
th, td {{ padding: 0.2rem 0.7rem; border-bottom: 1px solid #ddd; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }} #run {{ color: #555; }}
</style></head>
<body><h1>Shared KPIs: sales and marketing</h1>
<p id="run">Run <code data-run-id="{html.escape(data['run_id'])}">{html.escape(data['run_id'])}</code>,
data through <strong id="data-date">{html.escape(data['data_date'])}</strong>,
published {html.escape(data['published_at'])} UTC.
Money in {html.escape(cur)}. Definitions: docs/kpis.md.</p>
{body}
</body></html>
"""


def write_report(published_duckdb: Path, out: Path) -> Path:
    with duckdb.connect(str(published_duckdb), read_only=True) as con:
        page = render_report(report_data(con))
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.tmp")
    staged.write_text(page)
    staged.replace(out)
    return out
