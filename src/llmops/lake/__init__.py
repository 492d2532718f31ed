"""The Parquet lake: table schemas, atomic file writes, the DuckDB warehouse views and their docs."""
