"""`aos evaluate` end to end on a constructed database file (cohort months already present)."""
import argparse
import json
import logging
import re

import duckdb
import pandas as pd
import pytest

from pipeline.cohort.rules import load_rules
from pipeline.commands import evaluate as command
from pipeline.errors import DataRefused, UsageError

from .test_model import build


def parse(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    command.add_parser(sub)
    return parser.parse_args(["evaluate", *argv])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "aos.duckdb"
    mem = build(seed=5, n=300)
    mem.execute("INSERT INTO patients (patient_id, sex, care_unit_id) "
                "SELECT DISTINCT patient_id, 'F', 'U1' FROM patient_month_features")
    mem.execute("INSERT INTO contacts (patient_id, contact_date) "
                "SELECT DISTINCT patient_id, month FROM patient_month_features")
    mem.execute("INSERT INTO cohort_runs (month, rules_hash) SELECT DISTINCT month, ? "
                "FROM patient_month_features", [load_rules().sha256])
    mem.execute(f"ATTACH '{path}' AS f")
    mem.execute("COPY FROM DATABASE memory TO f")
    mem.close()
    return path


def run(db, out, *extra, first="2022-01", last="2023-12"):
    return command.run(parse(["--from", first, "--to", last, "--db", str(db), "--out", str(out),
                              *extra]))


def test_writes_report_csvs_and_figures(db, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    out = tmp_path / "eval"
    assert run(db, out) == 0
    assert "evaluate: back-testing" in caplog.text  # progress: the log
    assert "wrote" in capsys.readouterr().out  # result: stdout
    for name in ("evaluate.html", "backtest.csv", "model_metrics.csv", "calibration.csv",
                 "equal_workload.csv", "followup_months.csv", "evaluate_manifest.json",
                 "figures/workload_yield.png", "figures/calibration.png"):
        assert (out / name).exists(), name
    page = (out / "evaluate.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=['"]?https?:""", page)  # self-contained
    assert "name='viewport'" in page  # phones render it at their width, tables scroll
    # the default page is Swedish throughout: the model's sentences too
    assert "Vid granskningsregelns arbetsbörda" in page and "Endast som orientering" in page
    assert "At the review rule's workload" not in page and "For orientation only" not in page
    assert "data:image/png;base64," in page
    bt = pd.read_csv(out / "backtest.csv")
    assert {"min_criteria:1", "min_criteria:2", "criterion:alp_high",
            "pair:alp_high+hb_low"} <= set(bt["rule_id"])
    assert not list(out.parent.glob(".eval.tmp-*"))
    manifest = json.loads((out / "evaluate_manifest.json").read_text(encoding="utf-8"))
    assert {"cohort_months", "backtest", "model", "model_split", "model_fit",
            "model_predict"} <= set(manifest["timings_s"])
    assert set(manifest["cpu_s"]) == {"cohort_months", "backtest", "model"}
    assert manifest["cpu_s"]["model"] > 0  # the fit burns CPU; the wall clock alone is not it


def test_leftovers_of_a_killed_evaluate_are_removed_and_a_second_writer_is_busy(db, tmp_path):
    from pipeline import dblock
    from pipeline.errors import Busy
    out = tmp_path / "eval"
    for stale in (".eval.tmp-k1ll3d", ".eval.old-k1ll3d"):  # what kill -9 mid-swap leaves
        (tmp_path / stale).mkdir()
        (tmp_path / stale / "backtest.csv").write_text("stale")
    assert run(db, out, "--no-model") == 0
    assert not list(tmp_path.glob(".eval.tmp-*")) and not list(tmp_path.glob(".eval.old-*"))
    with dblock.hold(tmp_path / ".eval.lock", "output directory"):  # another evaluate writing
        with pytest.raises(Busy, match="output directory busy"):
            run(db, out, "--no-model")
    assert (out / "evaluate.html").exists()


def test_small_counts_are_suppressed_never_zero(db, tmp_path):
    out = tmp_path / "eval"
    assert run(db, out, "--no-model") == 0
    bt = pd.read_csv(out / "backtest.csv", dtype=str, keep_default_na=False)
    assert (bt["suppressed"] == "true").any()  # this data has small cells
    for w in (3, 6, 12):
        shown = pd.to_numeric(bt[f"n_cancer_{w}m"], errors="coerce")
        assert not shown.between(1, 4).any()
        hidden = bt[f"n_cancer_{w}m"] == ""
        assert (bt.loc[hidden, "suppressed"] == "true").all()
        assert bt.loc[hidden, "suppressed_cells"].str.contains(f"n_cancer_{w}m").all()
        assert (bt.loc[hidden, f"ppv_{w}m"] == "").all()


@pytest.mark.parametrize("argv, error", [
    (["--from", "2023-13", "--to", "2023-12"], UsageError),
    (["--from", "2023-06", "--to", "2023-01"], UsageError),
    (["--from", "May", "--to", "2023-01"], UsageError),
])
def test_bad_months_are_usage_errors(db, tmp_path, argv, error):
    with pytest.raises(error) as exc:
        command.run(parse([*argv, "--db", str(db), "--out", str(tmp_path / "o")]))
    assert exc.value.exit_code == 2


def test_missing_db_is_usage_error_and_empty_db_is_refused(tmp_path):
    with pytest.raises(UsageError):
        run(tmp_path / "nope.duckdb", tmp_path / "o")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(UsageError, match="cannot open"):
        run(junk, tmp_path / "o")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(DataRefused, match="patients") as exc:
        run(empty, tmp_path / "o")
    assert exc.value.exit_code == 1


def test_no_complete_follow_up_is_refused_and_output_untouched(db, tmp_path):
    out = tmp_path / "eval"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(DataRefused, match="cancer_register_complete_until"):
        run(db, out, first="2024-11", last="2024-12")
    assert (out / "keep.txt").read_text() == "old"


def test_months_of_another_rules_file_are_recomputed(monkeypatch):
    from pipeline.cohort import engine
    from pipeline.evaluate.cohort_months import ensure_months

    from .helpers import month, new_db

    con = new_db()
    con.execute("INSERT INTO cohort_runs (month, rules_hash) VALUES "
                "(DATE '2023-01-01', ?), (DATE '2023-02-01', 'old'), (DATE '2023-04-01', ?)",
                [load_rules().sha256, load_rules().sha256])
    calls = []
    monkeypatch.setattr(engine, "compute", lambda con, a, b, rules, **_: calls.append((a, b)))
    monkeypatch.setattr(engine, "drop_temp", lambda con: None)
    said = []
    done = ensure_months(con, [month(m) for m in ("2023-01", "2023-02", "2023-03", "2023-04")],
                         None, progress=said.append)
    assert done == [month("2023-02"), month("2023-03")]
    assert calls == [("2023-02", "2023-03")]
    assert any("another rules file" in s for s in said)


def reported(limit: str) -> str:
    """DuckDB's own spelling of a memory limit (e.g. '2GB' -> '1.8 GiB')."""
    return duckdb.connect().execute(f"SET memory_limit = '{limit}'; "
                                    "SELECT current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize("env", [None, "1GB"])
def test_sql_steps_run_under_aos_runs_limit_the_model_under_evaluates(db, tmp_path,
                                                                      monkeypatch, env):
    """The cohort months and the back-test (DuckDB only) run under aos run's limit, the model
    under pipeline.evaluate.settings.MEMORY_LIMIT (its sample lives in Python beside DuckDB);
    AOS_MEMORY_LIMIT, when set, wins for both. The manifest records the limit each
    step ran under, as DuckDB reported it while the step ran."""
    from pipeline.evaluate import backtest, cohort_months, model, settings
    from pipeline.dblock import configure

    if env is None:
        monkeypatch.delenv("AOS_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("AOS_MEMORY_LIMIT", env)
    aos_run = duckdb.connect()
    configure(aos_run)  # what aos run sets on its connection
    run_limit = aos_run.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    eval_limit = reported(env or settings.MEMORY_LIMIT)
    assert (run_limit == eval_limit) == (env is not None)  # the case can fail

    seen = {}

    def spy(name, module, attr):
        real = getattr(module, attr)

        def call(con, *args, **kwargs):
            seen[name] = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            return real(con, *args, **kwargs)
        monkeypatch.setattr(module, attr, call)

    spy("cohort_months", cohort_months, "ensure_months")
    spy("backtest", backtest, "run_backtest")
    spy("model", model, "run_model")
    out = tmp_path / "eval"
    assert run(db, out) == 0
    manifest = json.loads((out / "evaluate_manifest.json").read_text(encoding="utf-8"))
    assert seen == {"cohort_months": run_limit, "backtest": run_limit, "model": eval_limit}
    assert manifest["duckdb_memory_limits"] == {"cohort_months_and_backtest": run_limit,
                                                "model": eval_limit}
    assert run(db, out, "--no-model") == 0  # no model, no model limit
    manifest = json.loads((out / "evaluate_manifest.json").read_text(encoding="utf-8"))
    assert manifest["duckdb_memory_limits"] == {"cohort_months_and_backtest": run_limit}
