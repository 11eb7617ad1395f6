"""`aos synth` usage: refusals exit 2, output lands in --out with extract.toml and truth/."""
import pytest

from pipeline.synth.__main__ import main


@pytest.mark.parametrize("args", [
    ["--patients", "0", "--from", "2024-01", "--to", "2024-06"],
    ["--patients", "10", "--from", "2024-07", "--to", "2024-06"],
    ["--patients", "10", "--from", "2024-13", "--to", "2025-06"],
    ["--patients", "10", "--from", "2024-01", "--to", "2024-06", "--chunk-size", "1500"],
    ["--patients", "10", "--from", "2024-01", "--to", "2024-06", "--swedish-csv", "--format", "parquet"],
    ["--patients", "10", "--from", "2024-01", "--to", "2024-06", "--seed", "-1"],
])
def test_bad_usage_exits_2(args, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_writes_extract_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "x"
    args = ["--patients", "300", "--from", "2024-01", "--to", "2024-03", "--format", "csv", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "synth:" in printed.err and "rows: patients 300" in printed.out  # progress, result
    names = {p.name for p in out.iterdir()}
    assert {"patients.csv", "contacts.csv", "lab_results.csv", "care_units.csv", "extract.toml", "truth"} <= names
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    assert main(args) == 2
    assert main([*args, "--overwrite"]) == 0
