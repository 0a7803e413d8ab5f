"""The Streamlit dashboard: pages read result tables from the DuckDB store, never compute them.

Start it with ``pantau dashboard --db FILE`` (which runs ``streamlit run`` on :func:`app_path`
with ``PANTAU_DB`` set). Layout: ``app.py`` routes, ``views/`` (the pages) lay out, ``queries/`` holds the
SQL, ``charts.py`` the Plotly figures, ``theme.py`` the colours, ``i18n.py`` the texts,
``jobs.py`` the upload job (the one module that runs the analysis, in another process).
"""

from __future__ import annotations

from pathlib import Path


def app_path() -> Path:
    """The Streamlit entrypoint (``dashboard/app.py``)."""
    return Path(__file__).resolve().parent / "app.py"
