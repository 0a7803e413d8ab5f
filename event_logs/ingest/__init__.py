"""Import real event-log files (CSV, Excel, XES/XES.gz, Parquet) into the store.

Public API::

    from event_logs.ingest import ingest_file
    result = ingest_file("data/pantau.duckdb", "log.csv", sop_id="batam-integrasi")
    print(result.summary_line())

Modules, one concept each: ``readers`` (format dispatch, Parquet), ``csvfile`` (CSV bytes,
encodings, quotes), ``sheets`` (Excel), ``xes`` (safe, streamed XES), ``source`` (what a
reader hands on), ``columns`` (column recognition and --map), ``pii`` (what is personal
data, for every field; masks for messages), ``secret`` (the HMAC key), ``timestamps``
(timestamp SQL, zones, the plausible window), ``rows`` (the one materialisation, guarded),
``activities`` (labels -> SOP steps), ``staging`` (the checks, quarantine reasons),
``messages`` (error texts without raw values), ``pipeline`` (the one transaction).
"""

from event_logs.ingest.pipeline import ingest_file
from event_logs.ingest.result import IngestResult

__all__ = ["IngestResult", "ingest_file"]
