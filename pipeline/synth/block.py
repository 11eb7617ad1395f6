"""Generate one block of patients: every extract table and the ground truth, as Arrow tables.

A block has its own RNG seeded by (seed, block index), so the output does not depend on how
blocks are grouped into chunks."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from . import background, cancer, confounders, illness, pathway
from .events import EventSink, keep_in_window
from .labs import LabModel
from .params import Params
from .population import CareUnits, Patients, Period, patients

ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
               "DOUBLE": pa.float64(), "DATE": pa.date32()}


def arrow_schema(table: str) -> pa.Schema:
    t = schema.table(table)
    return pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in t.input_columns])


@dataclass
class Context:
    seed: int
    n_patients: int
    period: Period
    register_complete: int
    units: CareUnits
    P: Params


@dataclass
class BlockContext:
    ctx: Context
    block: int

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def patient_ids(first: int, n: int) -> pa.Array:
    width = max(7, len(str(first + n)))
    digits = np.char.zfill(np.arange(first + 1, first + n + 1).astype(str), width)
    return pa.array(np.char.add("P", digits).astype(object), pa.string())


def generate_block(ctx: Context, block: int) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    P = ctx.P
    size = P.cfg["block_size"]
    first = block * size
    n = min(size, ctx.n_patients - first)
    rng = np.random.default_rng([ctx.seed, block])
    pts = patients(rng, n, first, ctx.period, ctx.units, P)
    ca = cancer.draw(rng, pts, P, ctx.period)
    flags = confounders.flags(rng, pts, P)
    labs = LabModel(rng, pts, P)
    weight, height = background.body(rng, pts, P)
    sink = EventSink()
    ill = illness.Illness.none(n)
    cancer.prodromes(rng, ca, pts, P, ill)
    ref = pathway.referrals(rng, BlockContext(ctx, block), pts, ca, ill, labs, sink)
    illness.events(rng, ill, pts, P, labs, sink)
    background.generate(rng, pts, P, sink, labs, flags.frequent, height)
    confounders.apply_chronic(rng, pts, P, flags, labs, sink)
    episodes = confounders.episodes(rng, pts, P, labs, sink)
    in_register = cancer.register(rng, ca, P, ctx.period, ctx.register_complete, sink)

    ids = patient_ids(first, n)
    out = _extract_tables(rng, ctx, pts, sink, labs, ill, ids, weight)
    truth = _truth_tables(ctx, pts, ca, ill, ref, flags, episodes, in_register, ids)
    return out, truth


def _dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    return pa.array(days.astype(np.int32), pa.date32(), mask=days < 0)


def _str(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), pa.string())


def _mix_dots(rng: np.random.Generator, codes: np.ndarray, dotted_share: float) -> pa.Array:
    arr = _str(codes)
    undotted = pc.replace_substring(arr, ".", "")
    return pc.if_else(pa.array(rng.random(len(arr)) < dotted_share), arr, undotted)


def _table(name: str, cols: dict) -> pa.Table:
    sch = arrow_schema(name)
    n = len(next(iter(cols.values())))
    arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in sch]
    return pa.Table.from_arrays([a.cast(f.type) if a.type != f.type else a for a, f in zip(arrays, sch)],
                                schema=sch)


def _extract_tables(rng, ctx: Context, pts: Patients, sink: EventSink, labs: LabModel,
                    ill: illness.Illness, ids: pa.Array, weight: np.ndarray) -> dict[str, pa.Table]:
    P = ctx.P
    unit_ids = _str(ctx.units.ids)
    unit_of = pc.take(unit_ids, pa.array(pts.unit))
    dotted = P.cfg["diagnoses"]["dotted_share"]

    def pid(p):
        return pc.take(ids, pa.array(p.astype(np.int64)))

    def events(name, names, unique_on=None):
        cols = sink.columns(name, ["p", "date", *names])
        return keep_in_window(cols, pts.ws, pts.we, names if unique_on is None else unique_on)

    out = {}
    out["patients"] = _table("patients", {
        "patient_id": ids, "birth_year": pa.array(pts.birth_year.astype(np.int32)),
        "sex": _str(np.where(pts.male, "M", "F")), "care_unit_id": unit_of,
        "listed_from": _dates(pts.listed_from), "listed_to": _dates(pts.listed_to),
        "death_date": _dates(pts.death)})

    c = events("contacts", ["contact_type", "professional"])
    out["contacts"] = _table("contacts", {
        "patient_id": pid(c["p"]), "contact_date": _dates(c["date"]),
        "care_unit_id": pc.take(unit_of, pa.array(c["p"].astype(np.int64))),
        "contact_type": _str(c["contact_type"]), "professional": _str(c["professional"])})

    c = events("prescriptions", ["atc_code", "ddd"])
    out["prescriptions"] = _table("prescriptions", {
        "patient_id": pid(c["p"]), "prescribed_date": _dates(c["date"]),
        "atc_code": _str(c["atc_code"]), "ddd": pa.array(c["ddd"].astype(float))})

    c = events("lab_results", ["a", "mul", "add"], unique_on=["a"])
    p, day, a = c["p"].astype(np.int64), c["date"].astype(np.int64), c["a"].astype(np.int64)
    imul, iadd = illness.lab_shift(ill, P, labs, p, day, a)
    L = P.labs
    out["lab_results"] = _table("lab_results", {
        "patient_id": pid(p), "sample_date": _dates(day), "analyte": _str(L["analyte"][a]),
        "value": pa.array(labs.values(rng, p, a, c["mul"] * imul, c["add"] + iadd)),
        "unit": _str(L["unit"][a]), "ref_low": pa.array(L["ref_low"][a], from_pandas=True),
        "ref_high": pa.array(L["ref_high"][a], from_pandas=True)})

    c = events("diagnoses", ["icd10"])
    out["diagnoses"] = _table("diagnoses", {
        "patient_id": pid(c["p"]), "diagnosis_date": _dates(c["date"]),
        "icd10": _mix_dots(rng, c["icd10"], dotted)})

    c = events("observations", ["kind", "value", "unit"], unique_on=["kind"])
    p, day = c["p"].astype(np.int64), c["date"].astype(np.int64)
    value = c["value"].astype(float)
    is_w = c["kind"] == "weight"
    sd = P.cfg["observations"]["weight_within_sd"]
    w = weight[p] * illness.weight_factor(ill, p, day) + sd * rng.standard_normal(len(p))
    value = np.where(is_w, np.round(w, 1), value)
    out["observations"] = _table("observations", {
        "patient_id": pid(p), "obs_date": _dates(day), "kind": _str(c["kind"]),
        "value": pa.array(value), "unit": _str(c["unit"])})

    c = events("referrals", ["pathway", "event"])
    out["referrals"] = _table("referrals", {
        "patient_id": pid(c["p"]), "event_date": _dates(c["date"]), "pathway": _str(c["pathway"]),
        "event": _str(c["event"]), "care_unit_id": pc.take(unit_of, pa.array(c["p"].astype(np.int64)))})

    c = sink.columns("cancer_diagnoses", ["p", "date", "icd10"])
    order = np.lexsort((c["date"], c["p"]))
    c = {k: v[order] for k, v in c.items()}
    out["cancer_diagnoses"] = _table("cancer_diagnoses", {
        "patient_id": pid(c["p"]), "diagnosis_date": _dates(c["date"]),
        "icd10": _mix_dots(rng, c["icd10"], dotted)})
    return out


def _truth_tables(ctx: Context, pts: Patients, ca, ill, ref: dict, flags, episodes: dict,
                  in_register: np.ndarray, ids: pa.Array) -> dict[str, pa.Table]:
    P = ctx.P

    def pid(p):
        return pc.take(ids, pa.array(np.asarray(p, dtype=np.int64)))

    # route of each cancer: AOS, a site pathway, or none
    route = np.full(len(ca.p), "", dtype=object)
    ref_start = np.full(len(ca.p), -1, dtype=np.int64)
    rc = np.flatnonzero(ref["cancer"])
    if len(rc):  # at most one cancer referral per patient: match by patient
        order = np.argsort(ref["p"][rc])
        sp = ref["p"][rc][order]
        pos = np.clip(np.searchsorted(sp, ca.p), 0, len(sp) - 1)
        has = (sp[pos] == ca.p) & ~ca.prior
        j = rc[order[pos[has]]]
        route[has] = ref["pathway"][j]
        ref_start[has] = ref["start"][j]
    signals = np.full(len(ca.p), "", dtype=object)
    for j, s in enumerate(illness.SIGNALS):
        signals = signals + np.where(ca.prodrome & ill.sig[ca.p, j], s + ";", "")
    truth = {
        "cancers": pa.table({
            "patient_id": pid(ca.p), "sex": _str(np.where(pts.male[ca.p], "M", "F")),
            "birth_year": pa.array(pts.birth_year[ca.p].astype(np.int32)),
            "diagnosis_date": _dates(ca.dx), "icd10": _str(ca.icd10),
            "site": _str(P.sites["site"][ca.site]), "prior": pa.array(ca.prior),
            "prodrome": pa.array(ca.prodrome),
            "prodrome_start": _dates(np.where(ca.prodrome, ill.start[ca.p], -1)),
            "signals": pc.utf8_rtrim(_str(signals), characters=";"),
            "in_register": pa.array(in_register),
            "route": _str(route), "referral_start": _dates(ref_start)}),
        "referrals": pa.table({
            "patient_id": pid(ref["p"]), "pathway": _str(ref["pathway"]),
            "start_date": _dates(ref["start"]), "end_date": _dates(ref["end"]),
            "closing_event": _str(ref["closing"]), "cancer": pa.array(ref["cancer"].astype(bool)),
            "end_in_extract": pa.array(ref["end"] <= pts.we[ref["p"]]),
            "panel_complete": pa.array(ref["panel_complete"].astype(bool)),
            "panel_missing": _str(ref["panel_missing"])}),
        "episodes": pa.table({
            "patient_id": pid(episodes["p"]), "kind": _str(episodes["kind"]),
            "start_date": _dates(episodes["start"])}),
    }
    cond_p, cond = [], []
    for name, mask in (("renal_anaemia", flags.renal), ("high_alp", flags.high_alp),
                       ("frequent_attender", flags.frequent)):
        cond_p.append(np.flatnonzero(mask))
        cond.append(np.full(mask.sum(), name, dtype=object))
    truth["conditions"] = pa.table({"patient_id": pid(np.concatenate(cond_p)),
                                    "condition": _str(np.concatenate(cond))})
    return truth
