"""Running a dlt pipeline inside an asset: cursor metadata, and errors people can act on."""

from collections.abc import Iterator

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource
from dlt.pipeline.exceptions import PipelineStepFailed

from extract.common.credentials import ConnectorConfigError
from extract.common.pages import PageError
from extract.file_drop.source import FileDropError

ACTIONABLE = (ConnectorConfigError, PageError, FileDropError)


def run_with_cursors(context: dg.AssetExecutionContext, loader: DagsterDltResource, source,
                     pipeline: dlt.Pipeline) -> Iterator:
    """Run and yield each table's materialization with the incremental cursor it ended at (and the
    warehouse table it wrote, which dagster-dlt names by source rather than by dataset)."""
    try:
        # Parquet load files: DuckDB reads them in bulk, many times faster than inserts.
        results = list(loader.run(context=context, dlt_source=source, dlt_pipeline=pipeline,
                                  loader_file_format="parquet"))
    except PipelineStepFailed as exc:
        root = actionable_cause(exc)
        if root is not None:
            raise dg.Failure(description=str(root)) from None
        raise
    cursors = incremental_cursors(pipeline, source.name)
    for result in results:  # dagster-dlt yields MaterializeResult(asset_key, metadata)
        table = result.asset_key.path[-1]
        metadata = {**(result.metadata or {}), "dagster/table_name": f"{pipeline.dataset_name}.{table}"}
        if table in cursors:
            metadata["cursor"] = cursors[table]
        yield dg.MaterializeResult(asset_key=result.asset_key, metadata=metadata)


def incremental_cursors(pipeline: dlt.Pipeline, source_name: str) -> dict[str, str]:
    """Last cursor value per resource, from the pipeline state dlt keeps between runs."""
    resources = pipeline.state.get("sources", {}).get(source_name, {}).get("resources", {})
    cursors = {}
    for name, state in resources.items():
        for cursor in (state.get("incremental") or {}).values():
            if cursor.get("last_value") is not None:
                cursors[name] = str(cursor["last_value"])
    return cursors


def actionable_cause(exc: BaseException) -> BaseException | None:
    """The connector's own one-line error buried in dlt's wrapping exceptions, if there is one."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ACTIONABLE):
            return current
        stack += [getattr(current, "exception", None), current.__cause__, current.__context__]
    return None
