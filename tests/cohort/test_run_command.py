"""`aos run --db ... --month ...` (cohort-only path): outputs, determinism, manifest, errors."""
import csv
import json

import pytest

from pipeline.cohort.rules import load_rules
from pipeline.commands import run as run_command
from pipeline.errors import AosError
from tests.cohort.population import load, random_population



def main(argv):
    """`aos run ...` as pipeline.cli.main runs it (built here so that the test does not
    depend on the other subcommands being importable)."""
    import argparse
    parser = argparse.ArgumentParser(prog="aos")
    run_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return run_command.run(args)
    except AosError as exc:
        return exc.exit_code


CSVS = ("sensitive/review_list.csv", "sensitive/criteria.csv", "releasable/attrition.csv")


@pytest.fixture()
def db_file(tmp_path):
    def make(name="aos.duckdb", seed=11):
        path = tmp_path / name
        load(random_population(seed, n=80), str(path)).close()
        return str(path)
    return make


def test_identical_inputs_give_byte_identical_csvs(db_file, tmp_path):
    a, b = db_file("a.duckdb"), db_file("b.duckdb")
    assert main(["run", "--db", a, "--month", "2024-10", "--to", "2024-12",
                 "--out", str(tmp_path / "out1"), "--quiet"]) == 0
    assert main(["run", "--db", b, "--month", "2024-10", "--to", "2024-12",
                 "--out", str(tmp_path / "out2"), "--quiet"]) == 0
    for rel in CSVS:
        one, two = (tmp_path / "out1" / rel).read_bytes(), (tmp_path / "out2" / rel).read_bytes()
        assert one == two, rel
        assert one.count(b"\n") > 1, f"{rel} has no data rows"


def test_csv_columns_and_formats(db_file, tmp_path):
    db = db_file()
    out = tmp_path / "out"
    assert main(["run", "--db", db, "--month", "2024-12", "--out", str(out), "--quiet"]) == 0
    with open(out / CSVS[0], encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["month", "care_unit_id", "patient_id", "new_episode", "n_criteria",
                             "criteria", "route", "prior_cancer", "evidence"]
    assert {r["month"] for r in rows} == {"2024-12"}
    assert {r["new_episode"] for r in rows} <= {"true", "false"}
    for r in rows:
        crit = r["criteria"].split(";")
        assert crit == sorted(crit) and int(r["n_criteria"]) == len(crit) >= 2
    with open(out / CSVS[1], encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == ["month", "patient_id", "criterion", "evidence_date", "value", "threshold", "unit"]
    with open(out / CSVS[2], encoding="utf-8") as f:
        att = list(csv.DictReader(f))
    for r in att:  # a count from 1 to 4 is never shown
        for k in ("n_before", "n_excluded", "n_after"):
            assert r[k] == "" or not 1 <= int(r[k]) <= 4
        assert r["suppressed"] == ("true" if "" in (r["n_before"], r["n_excluded"], r["n_after"]) else "false")
    assert any(r["suppressed"] == "true" for r in att)
    region = [r for r in att if r["care_unit_id"] == "ALL"]
    assert [int(r["step_no"]) for r in region] == [1, 2, 3, 4, 5, 6]
    assert region[0]["n_before"] == "80"
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["rules"]["sha256"] == load_rules().sha256
    assert manifest["months"] == ["2024-12"]
    assert len(manifest["lookback_months"]) == 6
    assert manifest["not_evaluable"] == []
    assert manifest["output_rows"]["sensitive/review_list.csv"] == len(rows)
    assert {i["table"] for i in manifest["inputs"]} >= {"patients", "contacts", "lab_results"}
    assert "criterion_hb_low" in manifest["timings"]
    assert not [p for p in out.iterdir() if p.name.startswith(".aos-run-")]


def test_other_rules_file_changes_the_result_and_the_hash(db_file, tmp_path):
    db = db_file()
    text = load_rules().path.read_text(encoding="utf-8").replace("min_criteria = 2", "min_criteria = 1")
    rules = tmp_path / "one.toml"
    rules.write_text(text, encoding="utf-8")
    assert main(["run", "--db", db, "--month", "2024-12", "--out", str(tmp_path / "o2"), "--quiet"]) == 0
    assert main(["run", "--db", db, "--month", "2024-12", "--out", str(tmp_path / "o1"),
                 "--rules", str(rules), "--quiet"]) == 0
    n2 = (tmp_path / "o2" / CSVS[0]).read_text().count("\n")
    n1 = (tmp_path / "o1" / CSVS[0]).read_text().count("\n")
    assert n1 > n2
    m = json.loads((tmp_path / "o1" / "run_manifest.json").read_text())
    assert m["rules"]["sha256"] != load_rules().sha256


@pytest.mark.parametrize("argv", [["--month", "2024-13"], ["--month", "2024-12", "--to", "2024-11"],
                                  ["--month", "2024-12", "--rules", "/nonexistent.toml"]])
def test_bad_usage_exits_2(db_file, tmp_path, argv):
    db = db_file()
    assert main(["run", "--db", db, "--out", str(tmp_path / "o"), "--quiet", *argv]) == 2


def test_missing_database_exits_2(tmp_path):
    assert main(["run", "--db", str(tmp_path / "none.duckdb"), "--month", "2024-12"]) == 2


def test_month_outputs_hold_that_month_only_on_a_database_with_others(db_file, tmp_path):
    """The outputs select their months by date (units.MONTH_DATES): a month run on a database
    that stores other months writes that month's rows, and exactly those of the backfill."""
    db = db_file()
    assert main(["run", "--db", db, "--month", "2024-10", "--to", "2024-12",
                 "--out", str(tmp_path / "all"), "--quiet"]) == 0
    assert main(["run", "--db", db, "--month", "2024-11", "--out", str(tmp_path / "one"),
                 "--quiet"]) == 0

    def lines(root, rel, month=None):
        text = (root / rel).read_text(encoding="utf-8").splitlines()
        return text[0], [r for r in text[1:] if month is None or r.startswith(month + ",")]

    units = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").glob(
        "sensitive/units/*/*.csv"))
    assert units
    for rel in [*CSVS, *map(str, units)]:
        head, rows = lines(tmp_path / "one", rel)
        assert rows and all(r.startswith("2024-11,") for r in rows), rel
        if rel != CSVS[2]:  # attrition's suppression depends on its neighbours' months
            assert (head, rows) == lines(tmp_path / "all", rel, "2024-11"), rel


def test_month_run_on_a_database_does_not_import_pandas(db_file, tmp_path):
    """`aos run --db --no-report` needs no data frames: its start-up stays light."""
    import subprocess
    import sys
    code = ("import sys; from pipeline.cli import main; "
            f"rc = main(['run', '--db', {db_file()!r}, '--month', '2024-12', '--no-report', "
            f"'--out', {str(tmp_path / 'out')!r}, '-q']); "
            "print(rc, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[-2] == "0 False", done.stdout + done.stderr


def test_unit_folders_hold_exactly_each_units_rows_of_the_lists(db_file, tmp_path):
    """Each unit's review_list.csv is the header and that unit's lines of the whole list, byte
    for byte and in its order; every criteria line lands in exactly one unit's criteria.csv."""
    import duckdb
    db, out = db_file(), tmp_path / "out"
    con = duckdb.connect(db)  # a unit none of whose patients is listed
    con.execute("INSERT INTO patients (patient_id, birth_year, sex, care_unit_id) VALUES "
                "('Q-1', 1950, 'F', 'VC9')")
    con.close()
    assert main(["run", "--db", db, "--month", "2024-10", "--to", "2024-12", "--out", str(out),
                 "--quiet", "--no-report"]) == 0
    sens = out / "sensitive"
    with (sens / "units" / "index.csv").open(encoding="utf-8", newline="") as f:
        folders = {r["folder"]: r["care_unit_id"] for r in csv.DictReader(f)}
    whole = (sens / "review_list.csv").read_bytes().splitlines(keepends=True)
    header, rows = whole[0], whole[1:]
    unit_of = [next(csv.reader([r.decode()]))[1] for r in rows]
    listed_units, criteria = set(), []
    for folder, unit in folders.items():
        mine = (sens / "units" / folder / "review_list.csv").read_bytes().splitlines(keepends=True)
        assert mine == [header] + [r for r, u in zip(rows, unit_of) if u == unit], folder
        listed_units |= {unit} if len(mine) > 1 else set()
        criteria += (sens / "units" / folder / "criteria.csv").read_bytes().splitlines(keepends=True)[1:]
    assert "VC9" in folders.values() and listed_units and "VC9" not in listed_units
    all_criteria = (sens / "criteria.csv").read_bytes().splitlines(keepends=True)[1:]
    con = duckdb.connect(db, read_only=True)
    passed = con.execute("SELECT count(*) FROM criteria_met c JOIN eligible_adults e "
                         "USING (month, patient_id)").fetchone()[0]
    con.close()
    assert sorted(criteria) == sorted(all_criteria) and len(criteria) == passed > 0
