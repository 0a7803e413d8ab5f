"""Analytics: working calendar, Mutu Baku checks, conformance and lanes, written into DuckDB.

Public API::

    from analytics import analyze
    result = analyze("data/demo.duckdb")          # every SOP with events
"""

from analytics.run import RunResult, analyze

__all__ = ["RunResult", "analyze"]
