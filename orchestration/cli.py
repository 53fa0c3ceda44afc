"""The `revenue-warehouse` command: generate a demo world, or run the whole demo end to end."""

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from demo_world.world import MAX_SCALE, WorldError, generate_world
from extract.common.credentials import ConnectorConfigError
from orchestration.publish import BI_PASSWORD_ENV, BI_ROLE_ENV, DEFAULT_BI_ROLE, POSTGRES_URL_ENV
from orchestration.reports import KPI_TABLE, kpi_summary_from
from orchestration.settings import CRM_ENV, DEFAULT_HOME, SUPPORTED_CRMS, temporary_env

PROG = "revenue-warehouse"
DEMO_5XX_RATE = 0.001  # the local API fails now and then, so the demo shows retries at work


class CliError(Exception):
    """An error the user can fix; printed as one line."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be zero or positive, got {value}")
    return value


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"scale must be a number, got {text!r}") from None
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"scale must be greater than 0 and at most {MAX_SCALE:g}, got {value:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description="One trusted picture of customers, journeys and funnel "
                                                  "for sales and marketing.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    gen = sub.add_parser("generate", help="write a demo world: a simulated company's source systems and ground truth")
    gen.add_argument("--seed", type=_seed, default=42, help="random seed (default 42)")
    gen.add_argument("--scale", type=_scale, default=1.0, help="size; 1 = about 100k persons (default 1)")
    gen.add_argument("--crm", choices=SUPPORTED_CRMS, default="hubspot", help="the company's CRM (default hubspot)")
    gen.add_argument("--out", required=True, help="folder to write the world to")
    gen.set_defaults(func=cmd_generate)

    demo = sub.add_parser("demo", help="generate a world, extract it, build and validate the warehouse, print KPIs")
    demo.add_argument("--seed", type=_seed, default=42, help="random seed (default 42)")
    demo.add_argument("--scale", type=_scale, default=1.0, help="size; 1 = about 100k persons (default 1)")
    demo.add_argument("--crm", choices=SUPPORTED_CRMS, default="hubspot",
                      help="the CRM the demo company runs, read through its local API (default hubspot)")
    demo.add_argument("--workdir", default=DEFAULT_HOME,
                      help=f"folder for the world, the warehouse file and reports (default ./{DEFAULT_HOME})")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve-apis", help="serve a demo world's CRM, email and ad platforms as local vendor "
                                              "APIs (for dagster dev)")
    serve.add_argument("--workdir", default=DEFAULT_HOME, help=f"folder holding world/ (default ./{DEFAULT_HOME})")
    serve.add_argument("--port", type=int, default=8710,
                       help="first port on 127.0.0.1; the five APIs take consecutive ports (default 8710)")
    serve.set_defaults(func=cmd_serve_apis)

    role = sub.add_parser("create-bi-role", help="create or update the read-only Postgres role BI tools connect "
                                                 "as (idempotent)")
    role.add_argument("--role", default=None, help=f"role name (default ${BI_ROLE_ENV}, else {DEFAULT_BI_ROLE})")
    role.set_defaults(func=cmd_create_bi_role)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, WorldError, ConnectorConfigError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _generate(out: Path, seed: int, scale: float, crm: str, indent: str = "") -> None:
    started = time.monotonic()
    summary = generate_world(out, seed=seed, scale=scale, crm=crm,
                             progress=lambda msg: print(f"{indent}- {msg}", flush=True))
    rows = sum(summary.row_counts.values())
    print(f"{indent}wrote {rows:,} records to {out} in {time.monotonic() - started:.1f}s", flush=True)


def cmd_generate(args) -> int:
    print(f"Generating a demo world (seed {args.seed}, scale {args.scale:g}, CRM {args.crm})", flush=True)
    _generate(Path(args.out).resolve(), args.seed, args.scale, args.crm)
    return 0


def cmd_demo(args) -> int:
    from demo_world.vendor_apis.serve import local_vendor_apis
    from orchestration.definitions import build_definitions  # loads dbt and dagster: keep --help fast
    from orchestration.progress import progress_logger

    workdir = Path(args.workdir).resolve()
    started = time.monotonic()
    print(f"Revenue warehouse demo (seed {args.seed}, scale {args.scale:g}, CRM {args.crm}) in {workdir}", flush=True)
    print("[1/3] Generating the demo world", flush=True)
    _generate(workdir / "world", args.seed, args.scale, args.crm, indent="      ")

    print(f"[2/3] Running the pipeline: extract ({args.crm}, Mailchimp and the ad platforms through their local "
          "APIs, web events and the file drop from the world's folders), build, validate, report", flush=True)
    with local_vendor_apis(workdir / "world", random_5xx_rate=DEMO_5XX_RATE) as apis, temporary_env(
            {**apis.env, CRM_ENV: args.crm}):
        result = run_pipeline(workdir, args.crm, build_definitions, progress_logger)
    if not result.success:
        raise CliError(f"the pipeline run failed (see the FAILED lines above and {_run_log(workdir)}); "
                       "the KPI summary was not produced")

    print("[3/3] KPI summary", flush=True)
    warehouse = workdir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        print(format_summary(kpi_summary_from(con), con))
    print(f"\nPublished warehouse for BI tools (open it read-only): {workdir / 'published' / 'warehouse.duckdb'}")
    print(f"KPI report (open it in a browser): {workdir / 'reports' / 'kpi_report.html'}")
    print(f"Data-quality report (Great Expectations Data Docs): {workdir / 'reports' / 'data_docs' / 'index.html'}")
    print(f"Working warehouse (the pipeline's, all schemas): {warehouse}")
    print(f"Demo finished in {time.monotonic() - started:.0f}s", flush=True)
    return 0


def _run_log(workdir: Path) -> Path:
    return workdir / "logs" / "pipeline-run.log"


def run_pipeline(workdir: Path, crm: str, build_definitions, progress_logger):
    """Run the refresh job in this process: counted steps on screen, the full log in a file."""
    out = sys.stdout
    probe = build_definitions(str(workdir), crm).resolve_job_def("refresh_warehouse")
    loggers = {"progress": progress_logger(out, len(probe.graph.nodes))}
    job = build_definitions(str(workdir), crm, loggers=loggers).resolve_job_def("refresh_warehouse")
    log_path = _run_log(workdir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
                                      run_config={"loggers": {"progress": {}}})


def cmd_create_bi_role(args) -> int:
    import psycopg

    from orchestration.publish_postgres import GRANTED_SCHEMAS, bi_role, create_bi_role

    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    password = os.environ.get(BI_PASSWORD_ENV, "")
    missing = [name for name, value in ((POSTGRES_URL_ENV, url), (BI_PASSWORD_ENV, password)) if not value]
    if missing:
        raise CliError(f"set {' and '.join(missing)} (the admin connection and the BI role's password)")
    role = args.role or bi_role()
    try:
        create_bi_role(url, role, password)
    except psycopg.Error as exc:  # the message names the server's complaint, never the password
        raise CliError(f"Postgres refused: {str(exc).splitlines()[0]}") from None
    print(f"Role {role} can log in and read the published schemas ({', '.join(GRANTED_SCHEMAS)}), nothing else.")
    return 0


def cmd_serve_apis(args) -> int:
    from demo_world.vendor_apis.serve import local_vendor_apis

    world = Path(args.workdir).resolve() / "world"
    with local_vendor_apis(world, port=args.port, credentials_from_env=True) as apis:
        crm = next(iter(apis.apis))
        print(f"Serving the demo world's {', '.join(apis.apis)} APIs on 127.0.0.1 (Ctrl-C to stop).")
        print("In the shell that runs Dagster, export the same credentials and:")
        print(f"  export {CRM_ENV}={crm}")
        for name, value in apis.public_env().items():
            print(f"  export {name}={value}")
        sys.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


def format_summary(summary: dict, con: duckdb.DuckDBPyConnection) -> str:
    cur = summary["reporting_currency"]
    win = f"{summary['win_rate']:.1%}" if summary["win_rate"] is not None else "n/a"
    lines = [
        f"Last 12 months ({summary['period_start'][:7]} to {summary['period_end'][:7]}), money in {cur}",
        f"  opportunities created  {summary['opportunities_created']:>14,}",
        f"  pipeline created       {summary['pipeline_created']:>14,.0f}",
        f"  deals won / lost       {summary['deals_won']:>6,} / {summary['deals_lost']:,}  (win rate {win})",
        f"  bookings               {summary['bookings']:>14,.0f}",
        "",
        f"  {'month':<8} {'created':>8} {'pipeline':>14} {'won':>6} {'bookings':>14} {'win rate':>9}",
    ]
    rows = con.execute(f"""SELECT month, sum(opportunities_created), sum(pipeline_created_amount), sum(deals_won),
                                  sum(bookings_amount), sum(deals_won) / nullif(sum(deals_won + deals_lost), 0)
                           FROM {KPI_TABLE} GROUP BY month ORDER BY month DESC LIMIT 6""").fetchall()
    for month, created, pipeline, won, bookings, rate in reversed(rows):
        rate_text = f"{rate:.1%}" if rate is not None else "n/a"
        lines.append(f"  {str(month)[:7]:<8} {created:>8,} {float(pipeline):>14,.0f} {won:>6,} "
                     f"{float(bookings):>14,.0f} {rate_text:>9}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
