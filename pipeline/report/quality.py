"""Data quality (rows loaded and quarantined, completeness dates), attrition and the
facts for the methods section."""
from __future__ import annotations

import re

import pandas as pd

from .. import reasons
from ..cohort.outputs import attrition_rows
from . import sql
from .cells import Cells
from .context import Context, ym

DQ_ITEMS = ("rows_read", "rows_loaded", "rows_already_present", "rows_quarantined")


def _k(q: str, gt: str, g: str):
    return (q, "all", gt, g)


def collect(ctx: Context, cells: Cells) -> dict:
    con = ctx.con
    dq = sql.query(con, "data_quality")
    for r in dq.itertuples(index=False):
        keys = {i: cells.add(_k("dq:" + i, "table", r.table_name), getattr(r, i)) for i in DQ_ITEMS}
        cells.add_group(keys["rows_read"], [keys[i] for i in DQ_ITEMS[1:]])
    reasons.install(con)
    qr = sql.query(con, "quarantine_reasons")  # categories, never a reason's text
    for t, grp in qr.groupby("table_name"):
        keys = [cells.add(_k("dq:reason", t, f"{c}|{why}"), n)
                for c, why, n in zip(grp.column_name, grp.reason, grp.rows)]
        total = _k("dq:rows_quarantined", "table", t)
        if total in cells.values and cells.values[total] == grp.rows.sum():
            cells.add_group(total, keys)  # only when one row has one reason (additive)
    flags = sql.query(con, "data_quality_flags")  # unknown sex, empty and high-quarantine files
    for r in flags.itertuples(index=False):
        key = cells.add(_k("dq:flag", r.table_name, f"{r.item}|{r.column_name}|{r.source_file}"), r.rows)
        members = [_k("dq:reason", r.table_name, f"{c}|{why}") for c, why in
                   zip(qr.column_name, qr.reason) if c == r.column_name and r.item == "high_quarantine"]
        if members and r.rows == sum(cells.values.get(m, 0) for m in members):
            cells.add_group(key, members)  # so that a reason cell cannot be recovered by difference
    att = sql.query(con, "attrition", last=ctx.month)
    runs = sql.query(con, "cohort_runs", first=ctx.shown_first, last=ctx.month)
    return {"dq": dq, "reasons": qr, "flags": flags, "attrition": att, "runs": runs}


def release(ctx: Context, cells: Cells, raw: dict) -> dict[str, pd.DataFrame]:
    dq_rows = []
    for r in raw["dq"].itertuples(index=False):
        for i in DQ_ITEMS:
            v, s = cells.get(_k("dq:" + i, "table", r.table_name))
            dq_rows.append({"table_name": r.table_name, "item": i, "column_name": "", "reason": "",
                            "rows": v, "suppressed": s})
    for r in raw["reasons"].itertuples(index=False):
        v, s = cells.get(_k("dq:reason", r.table_name, f"{r.column_name}|{r.reason}"))
        dq_rows.append({"table_name": r.table_name, "item": "quarantine_reason",
                        "column_name": r.column_name, "reason": r.reason, "rows": v, "suppressed": s})
    for r in raw["flags"].itertuples(index=False):
        v, s = cells.get(_k("dq:flag", r.table_name, f"{r.item}|{r.column_name}|{r.source_file}"))
        dq_rows.append({"table_name": r.table_name, "item": r.item, "column_name": r.column_name,
                        "reason": r.source_file, "rows": v, "suppressed": s})
    att_rows = _attrition(ctx, raw["attrition"])
    meta = ctx.meta
    derived = set(re.split(r"[,;\s]+", meta.get("derived_fields") or "")) - {""}
    comp = [{"field": f, "date": meta[f].isoformat() if meta.get(f) else None, "derived": f in derived}
            for f in ("extract_date", "data_complete_until", "cancer_register_complete_until")]
    runs = raw["runs"].copy()
    runs["month"] = [ym(m) for m in runs["month"]]
    runs = runs[["month", "rules_version", "rules_hash", "baseline_incomplete", "not_evaluable"]]
    return {
        "data_quality": pd.DataFrame(dq_rows, columns=["table_name", "item", "column_name", "reason",
                                                        "rows", "suppressed"]),
        "attrition_region": pd.DataFrame(att_rows, columns=["month", "step_no", "step", "n_before",
                                                     "n_excluded", "n_after", "suppressed"]),
        "completeness": pd.DataFrame(comp, columns=["field", "date", "derived"]),
        "cohort_runs": runs,
    }


def _attrition(ctx: Context, att: pd.DataFrame) -> list[dict]:
    """Region attrition of the report month. With suppression on, the cells are those of
    `aos run`'s releasable/attrition.csv (same function: all units of the month together),
    so that the two files can never hide different cells."""
    p = ym(ctx.month)
    if not ctx.suppression:
        return [{"month": p, "step_no": r.step_no, "step": r.step, "n_before": r.n_before,
                 "n_excluded": r.n_excluded, "n_after": r.n_after, "suppressed": False}
                for r in att.itertuples(index=False)]
    rows = attrition_rows(ctx.con, [p], [])
    return [{"month": m, "step_no": no, "step": step, "n_before": b, "n_excluded": e, "n_after": a,
             "suppressed": bool(s)}
            for m, unit, no, step, b, e, a, s, _ in rows if unit == "ALL"]


def reason_labels(dq: pd.DataFrame, msg) -> pd.DataFrame:
    """data_quality with each quarantine reason category shown as its display text (report.html,
    report.xlsx; the CSV keeps the category code)."""
    return dq.assign(reason=[msg.get("q_" + r, r) if item == "quarantine_reason" else r
                             for item, r in zip(dq.item, dq.reason)])
