"""The report's data-quality section shows patients kept with sex unknown, empty files and
files accepted with at least half of their rows quarantined for one column."""
import csv

import pipeline.cli as cli

from .v11 import write_extract


def test_report_shows_unknown_sex_empty_and_high_quarantine(tmp_path, capsys):
    ids = [f"p{i}" for i in range(1, 11)]  # counts of 5: never suppressed (1-4 are)
    patients = "patient_id,birth_year,sex,care_unit_id\n" + "".join(
        f"{p},1950,{'F' if i < 5 else 'X'},u\n" for i, p in enumerate(ids))  # 5 with sex unknown
    contacts = "patient_id,contact_date\n" + "".join(f"{p},2025-01-10\n" for p in ids)
    labs = "patient_id,sample_date,analyte,value,unit\n" + "".join(
        f"{p},2025-01-10,hb,130,{'g/L' if i < 5 else 'mg'}\n" for i, p in enumerate(ids))  # 5 of 10
    x = write_extract(tmp_path / "x", patients=patients, contacts=contacts, lab_results=labs,
                      observations="patient_id,obs_date,kind,value,unit\n",
                      toml="extract_date = 2025-01-31\n")
    out = tmp_path / "out"
    argv = ["run", str(x), "--db", str(tmp_path / "a.duckdb"), "--month", "2025-01", "--out", str(out),
            "--lang", "en", "--accept-quarantine", "lab_results.csv"]
    assert cli.main(argv) == 0
    stdout = capsys.readouterr().out
    assert "5 with sex unknown" in stdout and "ACCEPTED HIGH QUARANTINE: lab_results.csv" in stdout
    with (out / "releasable" / "data_quality.csv").open(encoding="utf-8") as f:
        flags = {(r["table_name"], r["item"], r["column_name"], r["reason"]): r["rows"]
                 for r in csv.DictReader(f) if r["item"] in ("unknown_sex", "empty_file", "high_quarantine")}
    assert flags == {("patients", "unknown_sex", "sex", ""): "5",
                     ("observations", "empty_file", "", "observations.csv"): "0",
                     ("lab_results", "high_quarantine", "unit", "lab_results.csv"): "5"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Data-quality warnings" in html and "Patients kept with sex unknown" in html
    assert "File observations.csv has no rows" in html
    assert "File lab_results.csv: at least half of its rows quarantined" in html
