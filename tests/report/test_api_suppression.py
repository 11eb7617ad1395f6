"""The notebook API hides every count the report hides (one table -> disclosed cells path,
`pipeline.disclosure.frame`): an analyst cannot get a number the report would suppress."""
from datetime import date

import duckdb
import pandas as pd

from pipeline import api
from pipeline.disclosure import frame
from pipeline.report.build import compute

from .fixture_db import REPORT_MONTH


def test_review_by_unit_hides_what_the_report_hides(fixture_db):
    """For each month, the API's unit counts against the report *for that month* (a report of a
    later month may hide more of an old month: its rolling rows add secondary suppression)."""
    con = duckdb.connect(str(fixture_db))
    checked = 0
    try:
        last = date.fromisoformat(REPORT_MONTH + "-01")
        for back in range(6):
            month = date(last.year + (last.month - 1 - back) // 12, (last.month - 1 - back) % 12 + 1, 1)
            label = month.strftime("%Y-%m")
            _, tables = compute(con, fixture_db, month)
            m = tables["measures"]
            m = m[(m.group_type == "care_unit") & (m.month == label)]
            units = api.review_by_unit(con, label).set_index("care_unit_id")
            for measure, col in (("on_review_list_per_1000", "on_review_list"),
                                 ("new_episodes_per_1000", "new_episodes")):
                for r in m[m.measure == measure].itertuples():
                    if r.group not in units.index:
                        continue
                    if pd.isna(r.numerator):
                        checked += 1
                        assert units.loc[r.group, col] is None, (label, measure, r.group)
                    else:
                        assert units.loc[r.group, col] == r.numerator, (label, measure, r.group)
    finally:
        con.close()
    assert checked, "the fixture must have a suppressed unit count"


def test_secondary_suppression_protects_the_published_total():
    t = frame(pd.DataFrame({"unit": ["U1", "U2"], "n": [10, 3], "of": [50, 20]}), "unit",
              {"n": [], "of": []}, shares=[("n", "of")], total=True)
    # 3 is small; U1's 10 would reveal it from the published total 13: both hidden
    assert list(t["n"]) == [None, None] and list(t["suppressed"]) == [True, True]
