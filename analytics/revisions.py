"""SOP revisions in one run: each case is judged by the model version in force when it started.

An SOP is revised (No. Revisi, Tanggal Efektif); a case is checked against the confirmed
version in force on the local day of its first event (the store's ``model_periods`` view, the
one rule also behind ``models_in_force``), so one run may use several versions of one SOP.
:func:`plan_passes` writes which version judges each case of a revised SOP into the temp table
``run_case_versions`` (``sql/staging/case_versions.sql``) and returns the run's passes: pass
*i* holds the *i*-th version (in effective order) of every SOP that has one among its cases.
Each pass installs its versions (:func:`analytics.standards.install_standards`) and the
per-case stages then see only the cases judged by them (``sql/staging/run_scope.sql``). An
SOP with one confirmed version is one pass, as before revisions existed.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from analytics import sql_files
from sop_models.model import SopModel

CASE_VERSIONS = "run_case_versions"


def ensure_case_versions(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``run_case_versions`` when none was planned (a stage run on its own): every
    installed SOP is then analysed whole by its installed version."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CASE_VERSIONS} "
                "(sop_id VARCHAR, agency VARCHAR, case_id VARCHAR, model_sha256 VARCHAR)")


def plan_passes(con: duckdb.DuckDBPyConnection, latest: Mapping[str, SopModel]) -> list[dict[str, SopModel]]:
    """Assign every case of ``latest``'s SOPs its model version; return the passes (sop_id ->
    version), in effective order. ``latest``: each SOP's version in force on the run's last
    day (its zone places a case's first event on a local day)."""
    from event_logs.registry import load_model

    revised = [s for s, n in con.execute(
        "SELECT sop_id, count(*) FROM model_periods WHERE sop_id IN (SELECT unnest(?)) "
        "AND (in_force_from IS NULL OR in_force_until IS NULL OR in_force_from < in_force_until) "
        "GROUP BY sop_id", [list(latest)]).fetchall() if n > 1]
    table = pa.table({"sop_id": pa.array(revised, pa.string()),
                      "timezone": pa.array([latest[s].timezone for s in revised], pa.string())})
    con.execute("SELECT 1").fetchall()  # DuckDB: register() fails while a result is open
    con.register("_pantau_revised", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE run_revised_sops AS SELECT * FROM _pantau_revised")
    finally:
        con.unregister("_pantau_revised")
    sql_files.run(con, "staging/case_versions.sql")
    used: dict[str, list[str]] = {}
    for sop_id, sha, _since in con.execute(f"""
            SELECT DISTINCT v.sop_id, v.model_sha256, coalesce(p.in_force_from, DATE '0001-01-01') AS since
            FROM {CASE_VERSIONS} v JOIN model_periods p USING (sop_id, model_sha256)
            ORDER BY v.sop_id, since""").fetchall():
        used.setdefault(sop_id, []).append(sha)
    passes: list[dict[str, SopModel]] = []
    for sop_id, model in latest.items():
        shas = used.get(sop_id) or [model.sha256]
        for i, sha in enumerate(shas):
            if len(passes) <= i:
                passes.append({})
            passes[i][sop_id] = model if sha == model.sha256 else load_model(con, sha)
    return passes
