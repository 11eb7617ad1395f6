"""Every SQL file under sql/ renders with the shipped rules and DuckDB can EXPLAIN each of its
statements. Files that read the engine's temp tables are explained where they run: `aos demo`
(ingest, cohort, report), the notebook API and `aos evaluate` run on a few months of the
bundled sample with a hook in `sqlfiles.run` that EXPLAINs each statement just before it runs,
so each stage sees the tables the earlier stages made (a staged runner)."""
import datetime as dt

import duckdb
import pytest

from pipeline import api, cli, sqlfiles
from pipeline.evaluate import model
from pipeline.paths import SQL_DIR

EXPLAINED = {duckdb.StatementType.SELECT, duckdb.StatementType.INSERT,
             duckdb.StatementType.DELETE, duckdb.StatementType.UPDATE,
             duckdb.StatementType.CREATE}
FIRST, LAST = "2024-11", "2025-03"
# Files not run through sqlfiles.run (ingest/macros.sql is executed whole by the ingest,
# extract_meta.sql through sqlfiles.statements by the report): explained on the resulting database.
DIRECT = {"ingest/macros.sql": {}, "report/extract_meta.sql": {}}


def explain_then_run(seen: dict):
    def run(con, text, params=None, name="<sql>"):
        params, cur = params or {}, None
        for stmt, names in sqlfiles.split(sqlfiles.render(text, params, name)):
            values = sqlfiles.bind(names, params, name)
            if duckdb.extract_statements(stmt)[0].type in EXPLAINED:
                assert con.execute("EXPLAIN " + stmt, values).fetchall(), name
                seen[name] = seen.get(name, 0) + 1
            cur = con.execute(stmt, values)
        return cur.df() if cur is not None and cur.description else None
    return run


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain")
    seen: dict[str, int] = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(sqlfiles, "run", explain_then_run(seen))
    try:
        assert cli.main(["demo", "--sample", "--out", str(out / "demo"), "--from", FIRST,
                         "--month", LAST, "-q"]) == 0
        db = out / "demo" / "aos.duckdb"
        assert cli.main(["evaluate", "--db", str(db), "--from", FIRST, "--to", LAST,
                         "--out", str(out / "eval"), "-q"]) == 0
        con = api.open_db(db)
        pid = con.execute("SELECT patient_id FROM review_list LIMIT 1").fetchone()[0]
        for f in (api.review_list, api.criteria, api.attrition, api.review_by_unit,
                  api.criteria_frequency):
            f(con, LAST)
        api.patient_timeline(con, pid, LAST)
        api.months(con)
        # the model's inputs (the model itself needs more months than this run has)
        settings = api._settings()[0]
        model.split(con, [dt.date(2025, m, 1) for m in (1, 2, 3)], settings)
        model.sample_training(con, settings, model.set_sizes(con)["train"]["n_rows"])
    finally:
        mp.undo()
    return seen, con


def test_every_sql_file_is_explained_with_the_shipped_rules(staged):
    seen, con = staged
    files = sorted(str(p.relative_to(SQL_DIR)) for p in SQL_DIR.rglob("*.sql"))
    for rel, params in DIRECT.items():
        db = duckdb.connect() if rel.startswith("ingest/") else con  # macros build on each other
        for stmt, names in sqlfiles.split(sqlfiles.render(sqlfiles.load(rel), params, rel)):
            values = sqlfiles.bind(names, params, rel)
            assert db.execute("EXPLAIN " + stmt, values).fetchall()
            if db is not con:
                db.execute(stmt, values)
            seen[rel] = seen.get(rel, 0) + 1
    unseen = [rel for rel in files if rel not in seen]
    assert unseen == [], unseen
