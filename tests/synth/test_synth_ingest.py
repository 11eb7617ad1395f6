"""The ingest accepts the generator's output with zero quarantined rows (Parquet and Swedish CSV)."""
import duckdb
import pytest

ingest = pytest.importorskip("pipeline.ingest", reason="pipeline.ingest (ingest_extract) is not written yet")


@pytest.mark.parametrize("which", ["small_dir", "swedish_dir"])
def test_ingest_accepts_output_without_quarantine(which, request, tmp_path):
    extract = request.getfixturevalue(which)
    db = tmp_path / "aos.duckdb"
    ingest.ingest_extract(extract, db, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    files = con.execute("SELECT table_name, rows_read, rows_loaded, rows_quarantined FROM ingest_files").fetchall()
    assert {f[0] for f in files} >= {"patients", "contacts", "lab_results", "referrals", "cancer_diagnoses"}
    assert all(read == loaded and q == 0 for _, read, loaded, q in files)
    # dates and codes arrive in canonical form
    assert con.execute("SELECT count(*) FROM diagnoses WHERE icd10 LIKE '%.%'").fetchone()[0] == 0
    assert set(r[0] for r in con.execute("SELECT DISTINCT sex FROM patients").fetchall()) == {"F", "M"}
    meta = con.execute("SELECT extract_date, cancer_register_complete_until FROM extract_meta").fetchone()
    assert meta[1] < meta[0]
