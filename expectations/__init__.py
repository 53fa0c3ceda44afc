"""Great Expectations suites for the warehouse's KPI and core tables, and the code that runs them.

Suites are versioned JSON files under `suites/` (Great Expectations' own suite format plus a
`meta.table` naming the warehouse table). DuckDB tables reach Great Expectations as dataframe
batches: its SQL datasource cannot validate DuckDB through duckdb-engine in GX 1.24.
"""
