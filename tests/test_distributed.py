"""The path past one machine (issue 16.4): a store split by agency, each partition analysed as a
task on a real Dask ``LocalCluster`` (two worker processes on 127.0.0.1, no web dashboard), the
results gathered back equal to the single store's, every result table compared with EXCEPT ALL
both ways, run ids left out.

The store: a simulated log of two SOPs, one of which is run by two agencies (half of Batam's
cases moved to a second agency), so three partitions, and the per-SOP result rows (variants,
activity labels) must be added up across partitions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from analytics import analyze
from analytics.distributed import analyze_partitions
from analytics.incremental import differences
from analytics.partitions import DERIVED, IMPORT_ID_RANGE, OWN, national, read_manifest
from analytics.run import RESULT_TABLES
from event_logs import open_store
from event_logs.simulator import simulate
from pantau.errors import AnalysisError, PantauError
from pantau_cli import main

distributed = pytest.importorskip("distributed")

BATAM = "batam-dinkes-integrasi-jkn"
SECOND = "Dinas Kesehatan Kota Batam (Unit Timur)"


@pytest.fixture(scope="module")
def client():
    """Two worker processes on this machine, listening on 127.0.0.1 only."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, client) -> dict[str, Path]:
    """The source store; its single-store analysis; its partitions (split and gathered by the
    CLI, analysed on the cluster)."""
    root = tmp_path_factory.mktemp("distributed")
    source = root / "national.duckdb"
    simulate(source, cases=240, seed=3, sop_ids=[BATAM, "banjarbaru-dinsos-peserta-jkn"])
    con = duckdb.connect(str(source))
    for table in ("events", "cases", "sim_truth"):  # every other Batam case to a second agency
        con.execute(f"UPDATE {table} SET agency = ? WHERE sop_id = ? AND hash(case_id) % 2 = 0", [SECOND, BATAM])
    con.close()
    single = root / "single.duckdb"
    shutil.copyfile(source, single)
    analyze(single)
    parts = root / "parts"
    with pytest.raises(SystemExit) as done:
        main(["partition", "split", "--db", str(source), "--by", "agency", "--out", str(parts), "--quiet"])
    assert done.value.code in (None, 0)
    runs = analyze_partitions(parts, client=client, timeout=600)
    gathered = root / "gathered.duckdb"
    with pytest.raises(SystemExit) as done:
        main(["partition", "gather", "--partitions", str(parts), "--db", str(gathered), "--quiet"])
    assert done.value.code in (None, 0)
    return {"root": root, "source": source, "single": single, "parts": parts, "gathered": gathered,
            "runs": runs}


def test_three_agency_partitions_each_a_full_store(stores) -> None:
    parts = read_manifest(stores["parts"])
    assert len(parts) == 3 and SECOND in {p.agency for p in parts}
    source = duckdb.connect(str(stores["source"]), read_only=True)
    top_import = source.execute("SELECT max(import_id) FROM imports").fetchall()[0][0]
    models = source.execute("SELECT count(*) FROM models").fetchall()[0][0]
    source.close()
    for i, p in enumerate(parts):
        con = open_store(p.path(stores["parts"]))  # a store of this schema version
        try:
            assert con.execute("SELECT list(DISTINCT agency) FROM events").fetchall()[0][0] == [p.agency]
            assert con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == p.cases > 0
            assert con.execute("SELECT count(*) FROM models").fetchall()[0][0] == models
            assert con.execute("SELECT count(*) FROM ref_step_status").fetchall()[0][0] > 0
            # the next import of a partition must not reuse an id of the source or of another partition
            assert con.execute("SELECT start_value FROM duckdb_sequences() WHERE sequence_name = 'import_id_seq'"
                               ).fetchall()[0][0] == top_import + 1 + i * IMPORT_ID_RANGE
        finally:
            con.close()
    assert {r.partition.agency: r.result.case_count for r in stores["runs"]} == {p.agency: p.cases for p in parts}


def test_gathered_results_equal_the_single_store(stores) -> None:
    assert differences(stores["single"], stores["gathered"]) == {}
    con = duckdb.connect(str(stores["gathered"]), read_only=True)
    try:
        for table in RESULT_TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
        # Batam's variants were found in two partitions: their counts were added up, one row each
        assert con.execute("SELECT count(*) FROM variants GROUP BY sop_id, variant_id HAVING count(*) > 1"
                           ).fetchall() == []
        assert con.execute("SELECT count(DISTINCT agency) FROM case_checks WHERE sop_id = ?", [BATAM]
                           ).fetchall()[0][0] == 2
        # run ids numbered anew: one runs row per partition run, every result row pointing to one
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchall()[0] == (3, 3)
        assert con.execute("SELECT count(*) FROM case_checks WHERE run_id NOT IN (SELECT run_id FROM runs)"
                           ).fetchall()[0][0] == 0
    finally:
        con.close()


def test_partition_runs_shared_over_agencies_split_differently(stores) -> None:
    # the two Batam partitions each hold only part of the SOP's variants
    con = national(stores["parts"])
    try:
        per_part = con.execute("SELECT count(*) FROM p1.variants WHERE sop_id = ?", [BATAM]).fetchall()[0][0] + \
            con.execute("SELECT count(*) FROM p2.variants WHERE sop_id = ?", [BATAM]).fetchall()[0][0]
        merged = con.execute("SELECT count(*) FROM variants WHERE sop_id = ?", [BATAM]).fetchall()[0][0]
    finally:
        con.close()
    assert per_part > merged  # some variants occur in both partitions


def test_store_tables_round_trip(stores) -> None:
    """Split then gather gives back every store table the source holds (so each table is
    either partitioned, copied whole or derived)."""
    con = duckdb.connect(str(stores["source"]), read_only=True)
    try:
        con.execute("ATTACH ? AS g (READ_ONLY)", [str(stores["gathered"])])
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                            "current_database() AND schema_name = 'main'").fetchall()]
        kept = [t for t in tables if t not in DERIVED and t not in OWN]
        assert {"events", "cases", "sim_truth", "models", "imports", "activity_map"} <= set(kept)
        for t in kept:
            # the analysis adds each model's PNML export (not byte-stable: pm4py's ids)
            where = "WHERE kind <> 'pnml'" if t == "model_artifacts" else ""
            for a, b in ((t, f"g.{t}"), (f"g.{t}", t)):
                assert con.execute(f"SELECT count(*) FROM (FROM {a} {where} EXCEPT ALL FROM {b} {where})"
                                   ).fetchall()[0][0] == 0, t
    finally:
        con.close()


def test_national_views_give_the_single_store_figures(stores) -> None:
    query = ("SELECT sop_id, agency, count(*), on_time_share(on_time), conformant_share(conformant, is_closed) "
             "FROM case_results GROUP BY ALL ORDER BY ALL")
    con = open_store(stores["single"])
    try:
        expected = con.execute(query).fetchall()
    finally:
        con.close()
    con = national(stores["parts"])
    try:
        assert con.execute(query).fetchall() == expected
        assert len(expected) == 3
    finally:
        con.close()


def test_a_failed_partition_is_an_error_naming_it(stores, client, tmp_path: Path) -> None:
    broken = tmp_path / "parts"
    shutil.copytree(stores["parts"], broken)
    part = read_manifest(broken)[1]
    con = duckdb.connect(str(part.path(broken)))
    con.execute("UPDATE models SET status = 'draft'")  # this partition's analysis has no model
    con.close()
    with pytest.raises(AnalysisError) as error:
        analyze_partitions(broken, client=client, timeout=600)
    assert f"partition '{part.agency}'" in str(error.value) and "1 of 3" in str(error.value)
    # the other partitions' runs went through
    ok = read_manifest(broken)[0]
    con = duckdb.connect(str(ok.path(broken)), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 2
    con.close()


def test_a_run_past_its_timeout_is_an_error_naming_the_partitions(stores, client, tmp_path: Path) -> None:
    slow = tmp_path / "parts"
    shutil.copytree(stores["parts"], slow)
    with pytest.raises(AnalysisError, match=r"did not finish within 0\.01 s") as error:
        analyze_partitions(slow, client=client, full=True, timeout=0.01)
    assert any(p.agency in str(error.value) for p in read_manifest(slow))


def test_cli_refuses_mixed_targets(stores, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["analyze", "--db", str(stores["single"]), "--partitions", str(stores["parts"])],
                 ["analyze", "--db", str(stores["single"]), "--local-workers", "2"],
                 ["analyze", "--partitions", str(stores["parts"]), "--sop", BATAM],
                 ["partition", "gather", "--partitions", str(stores["parts"]), "--db", str(stores["gathered"])],
                 ["partition", "split", "--db", str(stores["source"]), "--out", str(stores["parts"])]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 1, argv
        assert "Error:" in capsys.readouterr().err


def test_not_a_partition_folder(tmp_path: Path) -> None:
    with pytest.raises(PantauError, match=r"partitions\.json"):
        read_manifest(tmp_path)
