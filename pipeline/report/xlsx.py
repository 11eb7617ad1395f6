"""report.xlsx: an info sheet, then one sheet per releasable table (openpyxl)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .. import safetext
from . import quality
from .messages import Messages
from .sections import FLAG_ITEMS
from .views import COUNT_COLUMNS

FORMATS = {"ratio": "0.0000", "yield": "0.0%", "ci_low": "0.0%", "ci_high": "0.0%",
           "window_end": "yyyy-mm-dd", "date": "yyyy-mm-dd"}
SHEET_NAMES = {"measures": "measures", "yield": "yield", "yield_sites": "yield_sites",
               "missed_opportunities": "missed", "attrition_region": "attrition",
               "data_quality": "data_quality", "completeness": "completeness",
               "cohort_runs": "cohort_runs"}


def header(col: str, msg: Messages) -> str:
    return msg.get("x_" + col, col)


def _value(v, col: str, suppressed: bool, msg: Messages):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        if suppressed and col in COUNT_COLUMNS | {"ratio", "yield", "ci_low", "ci_high"}:
            return msg("suppressed_mark")
        return None
    if col in ("window_end", "date") and isinstance(v, str):
        return date.fromisoformat(v)
    if isinstance(v, bool):
        return msg("yes") if v else msg("no")
    if isinstance(v, str):
        return safetext.xlsx_text(v)
    return v.item() if hasattr(v, "item") else v


def _group_label(gt: str, g: str, msg: Messages) -> str:
    if gt == "region":
        return msg("region_all")
    if gt == "criterion":
        return msg.get("criterion_" + g, g)
    if gt == "criteria_pair":
        return " + ".join(msg.get("criterion_" + c, c) for c in g.split("+"))
    if gt == "lab_test":
        return msg.get("test_" + g, g)
    return g


def _item_label(name: str, r, msg: Messages) -> str:
    """The item of missed_opportunities or data_quality as display text."""
    item = r["item"]
    if name == "missed_opportunities":
        return msg.get("missed_" + item, item)
    if item in FLAG_ITEMS:
        return msg("flag_" + item, file=r["reason"])
    return msg.get("c_" + item, item)


def labelled(name: str, df: pd.DataFrame, msg: Messages) -> pd.DataFrame:
    """Labels in the report's language for the codes (issue 12): the code columns stay as in
    the CSV, each immediately followed by its `<code>_label` column."""
    from .sections import step_label

    df = df.copy()
    labels = {
        "measure": lambda r: msg.get("m_" + r["measure"], r["measure"]),
        "group_type": lambda r: msg.get("gt_" + r["group_type"], r["group_type"]),
        "group": lambda r: _group_label(r["group_type"], r["group"], msg),
        "yield_type": lambda r: msg("yield_type_" + r["yield_type"]),
        "verdict": lambda r: msg.get("verdict_" + r["verdict"], r["verdict"]),
        "site_group": lambda r: msg.get("site_" + r["site_group"], r["site_group"]),
        "item": lambda r: _item_label(name, r, msg),
        "field": lambda r: msg.get("field_" + r["field"], r["field"]),
        "not_evaluable": lambda r: ", ".join(
            msg.get("criterion_" + c, c) for c in re.split(r"[;,]\s*", r["not_evaluable"] or "") if c),
    }
    if name == "attrition_region":
        df["step"] = [step_label(msg, n) for n in df.step_no]
    for col, f in labels.items():
        if col in df.columns:
            values = df.apply(f, axis=1) if len(df) else pd.Series(dtype=object)
            df.insert(df.columns.get_loc(col) + 1, col + "_label", values)
    return df


def write(path: Path, tables: dict[str, pd.DataFrame], info: list[tuple[str, str]], msg: Messages,
          suppression: bool) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = msg("x_info_sheet")
    bold = Font(bold=True)
    if not suppression:
        ws.append([msg("warning_no_suppression")])
        ws["A1"].font = Font(bold=True, color="FFFFFF")
        ws["A1"].fill = PatternFill("solid", fgColor="B71C1C")
    ws.append([msg("x_item"), msg("x_value")])
    ws.cell(ws.max_row, 1).font = ws.cell(ws.max_row, 2).font = bold
    for k, v in info:
        ws.append([safetext.xlsx_text(str(k)), safetext.xlsx_text(str(v))])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 80
    for name, df in tables.items():
        if name == "data_quality":
            df = quality.reason_labels(df, msg)
        df = labelled(name, df.drop(columns=["pooled"], errors="ignore"), msg)  # as the CSVs
        s = wb.create_sheet(SHEET_NAMES.get(name, name)[:31])
        s.append([safetext.xlsx_text(header(c, msg)) for c in df.columns])
        for c in range(1, len(df.columns) + 1):
            s.cell(1, c).font = bold
        cols = list(df.columns)
        flags = df["suppressed"].tolist() if "suppressed" in cols else [False] * len(df)
        for values, sup in zip(df.astype(object).values.tolist(), flags):
            s.append([_value(v, c, bool(sup), msg) for v, c in zip(values, cols)])
        for j, col in enumerate(df.columns, start=1):
            fmt = FORMATS.get(col, "#,##0" if col in COUNT_COLUMNS else None)
            if fmt:
                for (cell,) in s.iter_rows(min_row=2, min_col=j, max_col=j):
                    v = cell.value
                    if isinstance(v, float) and fmt == "#,##0" and not v.is_integer():
                        cell.number_format = "0.0"  # a median among counts
                    elif not isinstance(v, str):
                        cell.number_format = fmt
            s.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(header(col, msg)) + 2))
        s.freeze_panes = "A2"
        if not suppression:
            s.oddHeader.center.text = msg("warning_no_suppression")
    wb.save(path)
    return path
