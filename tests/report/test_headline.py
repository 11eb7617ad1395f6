"""Issue 12: the summary on top, the rolling headline and its protection against subtraction,
the yardsticks, exact funnel limits, honest charts, the AOS route share, Swedish labels."""
from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.stats import binom

from pipeline.report import figures, settings, sql, write_report
from pipeline.report.messages import MESSAGES_DIR, Messages
from pipeline.report.yield_ import flag_verdict, funnel_limits

from .fixture_db import REPORT_MONTH
from .scan import read_csv


# -- yardsticks and funnel ----------------------------------------------------------------

@pytest.mark.parametrize("n", [5, 12, 37, 100, 250, 1000])
@pytest.mark.parametrize("p", [0.03, 0.15, 0.20])
@pytest.mark.parametrize("coverage", [0.95, 0.998])
def test_funnel_limits_are_exact_binomial_quantiles(n, p, coverage):
    lo, hi = funnel_limits([n], p, coverage)
    q = (1 - coverage) / 2
    k_lo, k_hi = round(lo[0] * n), round(hi[0] * n)
    # the quantile definition: smallest k with P(X <= k) >= q
    assert binom.cdf(k_lo, n, p) >= q and (k_lo == 0 or binom.cdf(k_lo - 1, n, p) < q)
    assert binom.cdf(k_hi, n, p) >= 1 - q and (k_hi == 0 or binom.cdf(k_hi - 1, n, p) < 1 - q)
    assert lo[0] <= p <= hi[0]


def test_funnel_limits_widen_with_coverage_and_narrow_with_n():
    lo95, hi95 = funnel_limits([40, 400], 0.15, 0.95)
    lo998, hi998 = funnel_limits([40, 400], 0.15, 0.998)
    assert (lo998 <= lo95).all() and (hi998 >= hi95).all()
    assert hi95[1] - lo95[1] < hi95[0] - lo95[0]


def test_flag_verdict_uses_the_reference_not_the_band():
    ref = settings.load().flag_reference
    assert ref == 0.03
    assert flag_verdict(100, 0.01, 0.0299, ref, 10) == "ref_below"
    assert flag_verdict(100, 0.01, 0.03, ref, 10) == "ref_consistent"
    assert flag_verdict(100, 0.03, 0.06, ref, 10) == "ref_at_or_above"
    assert flag_verdict(9, 0.03, 0.06, ref, 10) == "too_few"


def test_yield_csv_judges_each_type_by_its_own_yardstick(report_en):
    rows = [r for r in read_csv(report_en / "releasable" / "yield.csv") if r["verdict"] not in
            ("suppressed", "too_few", "follow_up_incomplete")]
    assert rows
    for r in rows:
        if r["yield_type"] == "flag":
            assert r["verdict"].startswith("ref_"), r
        else:
            assert r["verdict"] in ("below", "above", "consistent"), r


# -- rolling headline and protection against subtraction ----------------------------------

def test_round_count():
    assert [settings.round_count(v, 5) for v in (0, 2, 3, 7, 8, 12, 13)] == [0, 0, 5, 5, 10, 10, 15]
    assert settings.round_count(None, 5) is None


@pytest.fixture(scope="module")
def two_releases(long_db, tmp_path_factory):
    """The report of REPORT_MONTH and of the month before, each from its month's extract: the
    cancer register of the later one is complete one month further (one month in, one out).
    From the 36-month fixture, so that the previous pools are published too."""
    y, m = map(int, REPORT_MONTH.split("-"))
    before = f"{y - (m == 1):04d}-{12 if m == 1 else m - 1:02d}"
    out = {}
    for month, shift in ((before, 0), (REPORT_MONTH, 1)):
        d = tmp_path_factory.mktemp("rel" + month)
        db = d / "aos.duckdb"
        shutil.copy(long_db, db)
        con = duckdb.connect(str(db))
        con.execute("UPDATE extract_meta SET cancer_register_complete_until = "
                    "last_day(cancer_register_complete_until + to_months(?))", [shift])
        con.close()
        write_report(db, month, d / "out", lang="en")
        out[month] = d / "out"
    return out


def _rolling(out):
    """The pooled yield rows, each marked as the current pool or the previous one (the
    summary's comparison, 12 months before)."""
    y = pd.read_csv(out / "releasable" / "yield.csv", dtype={"period": str})
    y = y[y.period.str.contains("/")].copy()
    keys = ["yield_type", "window_months", "group_type", "group"]
    y["pool"] = np.where(y.period == y.groupby(keys).period.transform("max"), "now", "previous")
    return y


def test_rolling_headline_pools_twelve_months(report_en):
    r = _rolling(report_en)
    assert len(r)
    for p in r.period.unique():
        a, b = (date.fromisoformat(x + "-01") for x in p.split("/"))
        assert (b.year - a.year) * 12 + b.month - a.month + 1 <= settings.load().rolling_months


def test_subtracting_consecutive_releases_cannot_reveal_a_month(two_releases):
    """Release M and M-1 pool windows that differ by one month in, one out. Their published
    counts are rounded to 5, so the difference of the true counts is known only to within
    +-4: any hidden monthly count 1..4 is indistinguishable from 0."""
    base = settings.load().round_to
    a, b = (_rolling(two_releases[k]) for k in sorted(two_releases))
    keys = ["yield_type", "window_months", "group_type", "group", "pool"]
    assert (b.pool == "previous").any(), "the fixture must publish a previous pool"
    both = a.merge(b, on=keys, suffixes=("_before", "_now"))
    both = both[both.period_before != both.period_now]  # windows that moved
    assert len(both), "the fixture must have rolling windows that move by a month"
    for col in ("n", "cancers"):
        for x, y in zip(both[col + "_before"].dropna(), both[col + "_now"].dropna()):
            assert x % base == 0 and y % base == 0
            # every true pair consistent with the published pair: true values within +-2
            diffs = {(y + dy) - (x + dx) for dx in range(-2, 3) for dy in range(-2, 3)}
            assert len(diffs) == 2 * base - 1  # the month in minus the month out: 9 candidates
    m = pd.read_csv(two_releases[REPORT_MONTH] / "releasable" / "measures.csv", dtype={"month": str})
    rolled = m[m.month.str.contains("/") & m.measure.isin(
        ["closed_within_target_share", "aos_route_share", "new_episodes_12m_per_1000",
         "aos_starts_12m_per_1000"])]
    assert rolled.measure.value_counts().max() >= 2  # the current and the previous pool
    for v in pd.concat([rolled.numerator, rolled.denominator]).dropna():
        assert v % base == 0


# -- summary ------------------------------------------------------------------------------

def test_summary_is_the_first_section_with_the_five_numbers(report_sv):
    html = (report_sv / "report.html").read_text(encoding="utf-8")
    body = html[html.index("<body>"):]
    first_h2 = body.index("<h2")
    assert body.index('<section id="sammanfattning">') < first_h2 < body.index('id="headline"')
    summ = body[body.index('id="sammanfattning"'):body.index("</section>")]
    for label in ("Förloppsutfall", "Flaggutfall", "22 dagar", "per 1 000"):
        assert label in summ, label
    assert "referensen 3 %" in summ or "[s]" in summ
    assert len(re.findall(r'<a class="item [a-z]+" href="#(headline|yield|pathway)"', summ)) >= 5
    assert "@media print" in html and "@page" in html


# -- honest charts ------------------------------------------------------------------------

def _monthly(values, suppressed, measure="aos_starts_per_1000", gt="region", g="ALL"):
    months = [f"2024-{i:02d}" for i in range(1, len(values) + 1)]
    return pd.DataFrame({"measure": measure, "month": months, "group_type": gt, "group": g,
                         "numerator": values, "denominator": 1000,
                         "ratio": [None if s else v for v, s in zip(values, suppressed)],
                         "suppressed": suppressed, "pooled": False})


def _check_series(fig, suppressed: list[bool], label: str):
    """The series `label` draws no value at a suppressed point; each suppressed point is marked."""
    sup_x = {i for i, s in enumerate(suppressed) if s}
    marked = set()
    for ax in fig.axes:
        for coll in ax.collections:
            if coll.get_gid() == f"{figures.SUP}:{label}":
                marked |= {int(round(x)) for x, _ in coll.get_offsets()}
        for line in ax.lines:
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            if line.get_label() != label:
                continue
            assert len(x) == len(suppressed)
            assert all(np.isnan(y[i]) for i in sup_x), "a line is drawn through a suppressed point"
    assert marked == sup_x


def test_trend_never_draws_only_the_visible_cells():
    sup = [False, True, False, True, True, False]
    m = pd.concat([_monthly([0, 2, 0, 1, 3, 0], sup),
                   _monthly([5, 6, 7, 8, 9, 10], [False] * 6, "new_episodes_per_1000"),
                   _monthly([1000] * 6, [False] * 6, "listed_adults")])
    _check_series(figures.trend({"measures": m}, "en"), sup, Messages("en")("m_aos_starts_per_1000"))


def test_unit_lines_with_few_units_mark_suppressed_months():
    sup = [False, True, True, False]
    m = pd.concat([_monthly([6, 2, 1, 7], sup, "new_episodes_per_1000", "care_unit", "U1")])
    fig = figures.deciles({"measures": m}, "en")
    _check_series(fig, sup, "U1")


def test_deciles_only_with_ten_units():
    m = pd.concat([_monthly([5 + u, 6, 7], [False] * 3, "new_episodes_per_1000", "care_unit", f"U{u}")
                   for u in range(3)])
    labels = [ln.get_label() for ax in figures.deciles({"measures": m}, "en").axes for ln in ax.lines]
    assert sorted(lb for lb in labels if lb.startswith("U")) == ["U0", "U1", "U2"]


def test_report_charts_mark_every_suppressed_point(fixture_db, report_en):
    from pipeline.report.build import compute

    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        _, tables = compute(con, fixture_db, date.fromisoformat(REPORT_MONTH + "-01"))
    finally:
        con.close()
    m = tables["measures"]
    reg = m[(m.group_type == "region") & (m.measure == "aos_starts_per_1000")].sort_values("month")
    months = sorted(m[(m.group_type == "region") & (m.measure == "listed_adults")].month)
    sup = [bool(reg.set_index("month").suppressed.get(mm, False)) for mm in months]
    _check_series(figures.trend(tables, "en"), sup, Messages("en")("m_aos_starts_per_1000"))
    fig = figures.yield_trend(tables, lang="en")
    y = tables["yield"]
    w = 6
    hidden = y[(y.window_months == w) & (y.group_type == "region") & ~y.pooled
               & y.follow_up_complete & y.suppressed]
    n_marked = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections
                   if c.get_gid() == figures.SUP)
    assert n_marked == len(hidden)


def test_overlap_is_one_matrix_with_suppressed_cells_marked():
    m = pd.DataFrame({"measure": "criteria_pair_share", "month": "2024-01", "group_type": "criteria_pair",
                      "group": ["a+b", "a+c", "b+c"], "numerator": [10, None, 7], "denominator": 40,
                      "ratio": [0.25, None, 0.175], "suppressed": [False, True, False]})
    fig = figures.overlap({"measures": m}, "2024-01", "en")
    marks = [p for ax in fig.axes for p in ax.patches if p.get_gid() == figures.SUP]
    assert len(marks) == 1 and len(fig.axes[0].images) == 1


# -- AOS route share ----------------------------------------------------------------------

def test_route_share_on_a_hand_built_timeline():
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE rpt_cancer (patient_id TEXT, diagnosis_date DATE, icd10 TEXT)")
    con.execute("CREATE TEMP TABLE rpt_start (patient_id TEXT, start_date DATE)")
    con.executemany("INSERT INTO rpt_cancer VALUES (?, ?, ?)", [
        ("a", "2025-03-10", "C18"),   # start exactly 6 months before: counts
        ("b", "2025-03-10", "C18"),   # start 6 months and 1 day before: does not
        ("c", "2025-03-10", "C34"),   # start after the diagnosis: does not
        ("d", "2025-04-01", "C50"),   # start on the diagnosis day: counts
        ("d", "2025-04-01", "C61"),   # the same patient and day: one cancer
        ("e", "2025-02-01", "C25"),   # no start at all
        ("f", "2024-12-31", "C25"),   # outside the period (start in window): not counted
    ])
    con.executemany("INSERT INTO rpt_start VALUES (?, ?)", [
        ("a", "2025-09-10"), ("a", "2024-09-10"), ("b", "2024-09-09"), ("c", "2025-03-11"),
        ("d", "2025-04-01"), ("f", "2024-12-01")])
    r = sql.query(con, "route_share", period_from=date(2025, 1, 1), period_to=date(2025, 12, 31),
                  lookback=6).iloc[0]
    assert (int(r.cancers), int(r.after_aos)) == (5, 2)


# -- Swedish everywhere -------------------------------------------------------------------

def _visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"""src=["']data:[^"']*["']""", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def english_in(html: str) -> list[str]:
    """English message keys and English texts (or the fixed parts of English templates, 12+
    characters, not in the Swedish catalogue) that show in an HTML page."""
    text = _visible_text(html)
    en = tomllib.loads((MESSAGES_DIR / "en.toml").read_text(encoding="utf-8"))
    sv = tomllib.loads((MESSAGES_DIR / "sv.toml").read_text(encoding="utf-8"))
    sv_all = " ".join(sv.values())
    found = [k for k in en if "_" in k and re.search(rf"\b{re.escape(k)}\b", text)]
    for k, v in en.items():
        if v == sv[k]:
            continue
        parts = [x.strip() for x in re.split(r"\{[^}]*\}", v)]
        found += [x for x in parts if len(x) >= 12 and " " in x and x not in sv_all and x in text]
    return found


def test_swedish_html_has_no_english_key_or_label(report_sv):
    html = (report_sv / "report.html").read_text(encoding="utf-8")
    english = english_in(html)
    assert not english, english[:5]
    text = _visible_text(html)
    for step in ("age under", "dead at T", "not listed at T", "known cancer"):
        assert step not in text


def test_swedish_xlsx_has_labels_beside_codes(report_sv):
    wb = openpyxl.load_workbook(report_sv / "report.xlsx")
    ws = wb["yield"]
    head = [c.value for c in ws[1]]
    col = head.index("Utfallstyp (namn)")
    labels = {ws.cell(r, col + 1).value for r in range(2, ws.max_row + 1)}
    assert labels and not labels & {"pathway", "flag"}
    att = wb["attrition"]
    steps = {c.value for row in att.iter_rows(min_row=2) for c in row}
    assert "under 18 år vid T" in steps and "age under 18 at T" not in steps


CODE_COLUMNS = ("measure", "group_type", "group", "yield_type", "verdict", "site_group", "item",
                "field", "not_evaluable")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_xlsx_label_column_sits_right_after_its_code_column(lang, report_sv, report_en):
    """Every code column of every sheet is immediately followed by its label column, and the
    label column holds text in the sheet's language (not the code) wherever a label exists."""
    from pipeline.report.xlsx import header

    msg = Messages(lang)
    wb = openpyxl.load_workbook((report_sv if lang == "sv" else report_en) / "report.xlsx")
    seen = 0
    for ws in wb.worksheets[1:]:
        head = [c.value for c in ws[1]]
        for code in CODE_COLUMNS:
            if header(code, msg) not in head:
                continue
            j = head.index(header(code, msg))
            assert head[j + 1] == header(code + "_label", msg), (ws.title, code, head)
            pairs = [(ws.cell(r, j + 1).value, ws.cell(r, j + 2).value) for r in range(2, ws.max_row + 1)]
            if code in ("measure", "yield_type", "group_type", "field", "item") and pairs:
                assert any(c != lb for c, lb in pairs if c), (ws.title, code, pairs[:3])
            seen += 1
    assert seen >= 10
    if lang == "sv":
        dq = wb["data_quality"]
        head = [c.value for c in dq[1]]
        items = {dq.cell(r, head.index(header("item_label", msg)) + 1).value for r in range(2, dq.max_row + 1)}
        assert "Lästa" in items and "rows_read" not in items


# -- trend arrows of the pooled cards -----------------------------------------------------

def test_pooled_arrow_only_against_the_non_overlapping_previous_pool():
    from types import SimpleNamespace

    from pipeline.report.summary import pool_arrow, previous_pool

    periods = pd.Series(["2023-07/2024-06", "2023-01/2023-12", "2024-07/2025-06", "2023-08/2024-07"])
    assert previous_pool(periods, "2024-07/2025-06") == 0  # ends the month before, same length
    assert previous_pool(periods, "2023-08/2024-07") is None  # 2022-08/2023-07 not published
    en = Messages("en")
    b = SimpleNamespace(msg=en)
    df = pd.DataFrame({"period": periods, "yield": [0.10, 0.2, 0.15, None],
                       "suppressed": [False, False, False, True]})
    fmt = str
    # the rule: previous value below / above / inside the current interval
    assert pool_arrow(b, df, "yield", 2, 0, (0.11, 0.19), fmt)[0] == "↑"
    assert pool_arrow(b, df, "yield", 2, 0, (0.12, 0.18), fmt)[0] == "↑"
    assert pool_arrow(b, df, "yield", 0, 2, (0.05, 0.14), fmt)[0] == "↓"
    a, text = pool_arrow(b, df, "yield", 2, 0, (0.09, 0.21), fmt)
    assert a == "→" and text == en("sum_arrow_flat", prev="0.1", period="2023-07 – 2024-06")
    a, text = pool_arrow(b, df, "yield", 2, 3, (0.09, 0.21), fmt)
    assert a == "" and text.startswith("no comparison") and "hidden" in text
    a, text = pool_arrow(b, df, "yield", 3, 2, (0.09, 0.21), fmt)
    assert a == ""  # never an arrow from a suppressed number
    a, text = pool_arrow(b, df, "yield", 2, None, (0.09, 0.21), fmt)
    assert a == "" and "24" in text


def test_every_card_has_an_arrow_with_24_complete_months(report_long_sv):
    """The 36-month fixture: every card compares with the 12 months before (unless a pool is
    hidden) and says so in words."""
    html = (report_long_sv / "report.html").read_text(encoding="utf-8")
    a = html.index('id="sammanfattning"')
    summ = html[a:html.index("</section>", a)]
    assert Messages("sv")("sum_arrow_rule") in summ
    cards = summ.split('<a class="item')[1:]
    arrows = [c for c in cards if '<span class="arrow"' in c]
    assert len(cards) == 6 and len(arrows) >= 5, [re.sub(r"<[^>]+>", " ", c)[:300] for c in cards]
    for c in arrows:
        assert re.search(r"(högre än|lägre än|oförändrat mot) föregående 12 månader", c)


def test_every_summary_card_has_an_arrow_or_says_why_not(report_sv):
    html = (report_sv / "report.html").read_text(encoding="utf-8")
    summ = html[html.index('id="sammanfattning"'):html.index("</section>", html.index('id="sammanfattning"'))]
    cards = summ.split('<a class="item')[1:]
    assert len(cards) >= 5
    said = ["högre än föregående 12 månader", "lägre än föregående 12 månader",
            "oförändrat mot föregående 12 månader", "ingen jämförelse"]
    assert all(any(s in c for s in said) for c in cards), [c[:200] for c in cards]


def test_flag_yield_is_never_coloured_as_good_or_bad():
    """Green/red belong to the pathway band and the 80 % target; the flag yield against its
    3 % reference is shown neutrally whatever its verdict."""
    from types import SimpleNamespace

    from pipeline.report.summary import _yield_item
    from pipeline.report.views import Builder

    ctx = SimpleNamespace(cfg=SimpleNamespace(headline_window=6))
    for verdict, t, tone in [("ref_below", "flag", "info"), ("ref_at_or_above", "flag", "info"),
                             ("ref_consistent", "flag", "info"), ("consistent", "pathway", "ok"),
                             ("below", "pathway", "warn")]:
        y = pd.DataFrame({"yield_type": [t], "window_months": [6], "period": ["2024-01/2024-12"],
                          "group_type": ["region"], "group": ["ALL"], "n": [500], "cancers": [10],
                          "yield": [0.02], "ci_low": [0.01], "ci_high": [0.04], "verdict": [verdict],
                          "suppressed": [False], "pooled": [True]})
        assert _yield_item(Builder({"yield": y}, Messages("sv")), ctx, t).tone == tone, verdict


def test_previous_pool_repeats_the_release_twelve_months_before(long_db, two_releases, tmp_path):
    """The previous pool of the 12-month rates is the current pool of the report written 12
    months earlier: where shown, the same published counts, so the comparison adds no number
    that could be subtracted from the series of releases."""
    y, m = map(int, REPORT_MONTH.split("-"))
    earlier = f"{y - 1:04d}-{m:02d}"
    db = tmp_path / "aos.duckdb"
    shutil.copy(long_db, db)
    con = duckdb.connect(str(db))  # the extract of that month: data complete 12 months earlier
    con.execute("UPDATE extract_meta SET data_complete_until = data_complete_until - INTERVAL 12 MONTH, "
                "cancer_register_complete_until = last_day(cancer_register_complete_until - INTERVAL 11 MONTH)")
    con.close()
    write_report(db, earlier, tmp_path / "out", lang="en")
    cols = ["measure", "month", "numerator", "denominator", "ratio", "suppressed"]
    now = pd.read_csv(two_releases[REPORT_MONTH] / "releasable" / "measures.csv", dtype={"month": str})
    then = pd.read_csv(tmp_path / "out" / "releasable" / "measures.csv", dtype={"month": str})
    rates = ["new_episodes_12m_per_1000", "aos_starts_12m_per_1000"]
    prev = now[now.measure.isin(rates) & now.month.str.endswith("/" + earlier)][cols]
    cur = then[then.measure.isin(rates) & then.month.str.endswith("/" + earlier)][cols]
    assert len(prev) == len(cur) == 2
    both = prev.merge(cur, on=["measure", "month"], suffixes=("", "_then"))
    shown = both[~both.suppressed.astype(bool)]  # a previous pool may be hidden (it is optional)
    assert len(shown)
    for c in ("numerator", "denominator", "ratio"):
        assert (shown[c] == shown[c + "_then"]).all(), shown
