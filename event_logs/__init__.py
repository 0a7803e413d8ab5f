"""Event logs: the DuckDB store, readers for CSV/Excel/XES/Parquet, and the simulator.

Public API::

    from event_logs import open_store, init_store
    con = open_store("data/demo.duckdb")          # read-only, for notebooks
"""

from event_logs.store import SCHEMA_VERSION, init_store, open_store, transaction

__all__ = ["SCHEMA_VERSION", "init_store", "open_store", "transaction"]
