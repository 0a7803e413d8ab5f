"""Import real event-log files (CSV, Excel, XES/XES.gz, Parquet) into the store.

Public API::

    from event_logs.ingest import ingest_file
    result = ingest_file("data/pantau.duckdb", "log.csv", sop_id="batam-integrasi")
    print(result.summary_line())

Modules, one concept each: ``readers`` (files -> raw text columns), ``xes`` (safe XES
parsing), ``columns`` (column recognition and --map), ``pii`` (HMAC of personal data),
``timestamps`` (timestamp SQL and zones), ``activities`` (labels -> SOP steps),
``staging`` (the checking SQL), ``pipeline`` (the one transaction).
"""

from event_logs.ingest.pipeline import ingest_file
from event_logs.ingest.result import IngestResult

__all__ = ["IngestResult", "ingest_file"]
