"""A newer extract into a filled table: days whose rows are unchanged are skipped by their
fingerprint (count, sum of content hashes); every other day is compared row by row. The stored
table must end as the union of both extracts' rows, whatever changed on a day. And the two load
paths (late checks in the parse, or in a pass of their own) agree."""
import numpy as np

from pipeline.ingest import meta, run
from pipeline.ingest.load import repeated_hashes

from .conftest import CANONICAL, canonical_content, ingest, rows

PATIENTS = "patient_id,birth_year,sex,care_unit_id\n" + "".join(f"p{i},1950,F,u1\n" for i in range(1, 6))
LAB = "patient_id,sample_date,analyte,value,unit\np1,2025-01-05,hb,120,g/L\n"
HEADER = "patient_id,contact_date,contact_type\n"

JAN = [("p1", "2025-01-02", "visit"), ("p2", "2025-01-02", "phone"),     # unchanged day
       ("p1", "2025-01-03", "visit"),                                     # a late row arrives
       ("p1", "2025-01-04", "visit"), ("p2", "2025-01-04", "visit"),     # one row corrected
       ("p3", "2025-01-05", "visit"), ("p4", "2025-01-05", "phone"),     # one gone, one new
       ("p1", "2025-01-06", "visit"), ("p5", "2025-01-06", "visit")]     # one row gone
FEB = [("p1", "2025-01-02", "visit"), ("p2", "2025-01-02", "phone"),
       ("p1", "2025-01-03", "visit"), ("p3", "2025-01-03", "digital"),
       ("p1", "2025-01-04", "visit"), ("p2", "2025-01-04", "phone"),
       ("p3", "2025-01-05", "visit"), ("p5", "2025-01-05", "home"),
       ("p1", "2025-01-06", "visit"),
       ("p2", "2025-02-01", "visit")]                                     # a new day


def extract(path, contacts):
    path.mkdir()
    (path / "extract.toml").write_text("extract_date = 2025-02-28\n")
    (path / "patients.csv").write_text(PATIENTS)
    (path / "lab_results.csv").write_text(LAB)
    (path / "contacts.csv").write_text(HEADER + "".join(",".join(r) + "\n" for r in contacts))
    return path


def stored(db):
    return set(rows(db, "SELECT patient_id, strftime(contact_date, '%Y-%m-%d'), contact_type FROM contacts"))


def test_newer_extract_loads_exactly_the_rows_not_stored(tmp_path):
    db = tmp_path / "aos.duckdb"
    ingest(extract(tmp_path / "jan", JAN), db)
    assert stored(db) == set(JAN)
    summary = ingest(extract(tmp_path / "feb", FEB), db)
    contacts = summary.file("contacts")
    assert stored(db) == set(JAN) | set(FEB)  # append-only: nothing removed or changed
    assert contacts.rows_loaded == len(set(FEB) - set(JAN))
    assert contacts.rows_already_present == len(set(FEB) & set(JAN))
    assert rows(db, "SELECT count(*) FROM contacts")[0][0] == len(set(JAN) | set(FEB))


def test_unchanged_days_of_a_reordered_file_are_all_present(tmp_path):
    db = tmp_path / "aos.duckdb"
    ingest(extract(tmp_path / "jan", JAN), db)
    summary = ingest(extract(tmp_path / "again", JAN[::-1]), db)  # new bytes, same rows
    assert summary.file("contacts").rows_loaded == 0
    assert summary.file("contacts").rows_already_present == len(JAN)
    assert stored(db) == set(JAN)


def test_repeated_hashes_are_the_values_seen_twice():
    h = np.array([7, 3, 9, 3, 1, 7, 3], dtype=np.uint64)
    assert repeated_hashes(h).tolist() == [3, 7]
    assert repeated_hashes(np.array([], dtype=np.uint64)).tolist() == []


def quarantine(db):
    return sorted(rows(db, "SELECT table_name, source_row, column_name, reason FROM quarantine"), key=repr)


def test_late_checks_in_the_parse_match_the_separate_pass(tmp_path, monkeypatch):
    """Declared dates: the parse applies the extract-date and orphan checks; derived dates: a
    pass over each parsed table does. Forced down the second path, the same extract (dates still
    declared) must give the same tables and quarantine."""
    fused = tmp_path / "fused.duckdb"
    ingest(CANONICAL, fused)
    monkeypatch.setattr(run, "_dates_need", lambda declared: list(meta.EVENT_DATES))
    separate = tmp_path / "separate.duckdb"
    ingest(CANONICAL, separate)
    reasons = [r[3] for r in quarantine(fused)]
    assert any("is after" in r for r in reasons) and any("not in patients" in r for r in reasons)
    assert quarantine(fused) == quarantine(separate)
    assert canonical_content(fused) == canonical_content(separate)
